import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { publicKeyOfFile, type PublicKeyFormat } from '../../tokens/index.js';

export default class GeneratePublicKey extends BaseCommand {
  static override summary = 'Print the public key of a zone-token signing key.';
  static override description = `Give it to a control plane that should accept tokens signed with that key (--zone-token-public-key <kid>=FILE), or to 'inspect zone-token --verify --public-key FILE'.`;
  static override examples = ['$ <%= config.bin %> <%= command.id %> --signing-key-path key-1.pem > key-1.pub.pem'];

  static override flags = {
    'signing-key-path': Flags.string({ summary: 'The signing key (PEM, or PEM base64-encoded).', required: true }),
    format: Flags.string({ summary: 'Key format: pkcs1 (RSA PUBLIC KEY, like kumactl) or pkix (PUBLIC KEY).', options: ['pkcs1', 'pkix'], default: 'pkcs1' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GeneratePublicKey);
    process.stdout.write(await publicKeyOfFile(flags['signing-key-path'], flags.format as PublicKeyFormat));
  }
}
