import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { revokeZoneTokenId, type RevokeResult } from '../../client/tokens.js';
import { UsageError } from '../../core/errors.js';
import { describeZoneToken, isValidJti, readTokenInput } from '../../tokens/index.js';
import { clockFromEnv } from '../../core/clock.js';

export default class RevokeZoneToken extends BaseCommand {
  static override summary = 'Revoke a zone token: the control plane rejects it from now on.';
  static override description = `Adds the token's id (jti) to the GlobalSecret zone-token-revocations. Other tokens stay valid; to invalidate every token of a signing key, rotate the key instead.`;
  static override examples = ['$ <%= config.bin %> <%= command.id %> - < egress.token', '$ <%= config.bin %> <%= command.id %> --jti 0b7e9d6e-3f0c-4a51-9a57-0f4d2b0c1e22'];
  static override enableJsonFlag = true;

  static override args = {
    token: Args.string({ description: 'The token, or - to read it from stdin.' }),
  };

  static override flags = {
    ...cpFlags,
    jti: Flags.string({ summary: 'Revoke by token id instead of passing the token.' }),
  };

  async run(): Promise<RevokeResult> {
    const { args, flags } = await this.parse(RevokeZoneToken);
    if ((args.token === undefined) === (flags.jti === undefined)) {
      throw new UsageError('pass either the token (or - for stdin) or --jti ID');
    }
    const jti = flags.jti ?? describeZoneToken(await readTokenInput(args.token!), clockFromEnv()).jti;
    if (!isValidJti(jti)) throw new UsageError(`--jti ${JSON.stringify(jti)} is not a token id (letters, digits, . _ : - only)`);
    const { client } = clientFromFlags(flags);
    let result: RevokeResult;
    try {
      result = await revokeZoneTokenId(client, jti);
    } finally {
      client.close();
    }
    this.log(result.added ? `revoked zone token ${jti}` : `zone token ${jti} was already revoked`);
    return result;
  }
}
