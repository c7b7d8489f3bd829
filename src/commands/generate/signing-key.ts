import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { formatSigningKey, generateSigningKeyPem, type SigningKeyFormat } from '../../tokens/index.js';

export default class GenerateSigningKey extends BaseCommand {
  static override summary = 'Generate a zone-token signing key (RSA 2048, PEM PKCS#1).';
  static override description = `The default format, pem-base64, is what a GlobalSecret's data holds: rotate by storing it as zone-token-signing-key-<N+1>. Keep the key secret: whoever has it can mint tokens.`;
  static override examples = [
    `$ <%= config.bin %> <%= command.id %> --format pem > key-1.pem && chmod 600 key-1.pem`,
    `$ echo "{\\"type\\":\\"GlobalSecret\\",\\"name\\":\\"zone-token-signing-key-2\\",\\"data\\":\\"$(<%= config.bin %> <%= command.id %>)\\"}" | <%= config.bin %> apply -f -`,
  ];

  static override flags = {
    format: Flags.string({ summary: 'Key format: pem, or pem-base64 (the PEM base64-encoded, as in a secret).', options: ['pem', 'pem-base64'], default: 'pem-base64' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GenerateSigningKey);
    const out = formatSigningKey(await generateSigningKeyPem(), flags.format as SigningKeyFormat);
    process.stdout.write(out.endsWith('\n') || !process.stdout.isTTY ? out : `${out}\n`);
  }
}
