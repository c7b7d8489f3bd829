import { Args, Flags } from '@oclif/core';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand } from '../../cli/data-command.js';
import { verifyZoneTokenOnline } from '../../client/tokens.js';
import { clockFromEnv } from '../../core/clock.js';
import { ExitCode } from '../../core/errors.js';
import {
  describeZoneToken,
  inspectWithPublicKey,
  readTokenInput,
  renderZoneTokenInfo,
  ZONE_TOKEN_SCOPES,
  type ZoneTokenInfo,
  type ZoneTokenScope,
} from '../../tokens/index.js';

export default class InspectZoneToken extends DataCommand {
  static override summary = 'Decode a zone token; with --verify, say whether it is valid and exactly why not.';
  static override description = `Shows the signing key (kid), zone, scope, issue and expiry times and the token id. --verify asks the control plane of the current context (signature, expiry, revocation, scope, its zone), or checks offline with --public-key. Exits 0 when valid, 3 when not.`;
  static override examples = [
    '$ <%= config.bin %> <%= command.id %> - < egress.token',
    '$ <%= config.bin %> <%= command.id %> "$(cat egress.token)" --verify',
    '$ <%= config.bin %> <%= command.id %> - --verify --public-key key-1.pub.pem --zone zone-1 < egress.token',
  ];

  static override args = {
    token: Args.string({ description: 'The token, or - to read it from stdin.', required: true }),
  };

  static override flags = {
    ...cpFlags,
    verify: Flags.boolean({ summary: 'Check the token (with the control plane unless --public-key is given).', default: false }),
    'public-key': Flags.string({ summary: 'Verify offline with this public key (PEM, PKCS#1 or PKIX); revocation is then not checked.', dependsOn: ['verify'] }),
    scope: Flags.string({ summary: 'Scope the token must grant to be valid.', options: [...ZONE_TOKEN_SCOPES], default: 'egress' }),
    zone: Flags.string({ summary: 'With --public-key: the zone the token must be valid in.', dependsOn: ['public-key'] }),
  };

  async run(): Promise<ZoneTokenInfo> {
    const { args, flags } = await this.parse(InspectZoneToken);
    const token = await readTokenInput(args.token);
    const clock = clockFromEnv();
    const scope = flags.scope as ZoneTokenScope;
    let info = describeZoneToken(token, clock);
    if (flags.verify && flags['public-key'] !== undefined) {
      info = await inspectWithPublicKey(token, { publicKeyPath: flags['public-key'], scope, zone: flags.zone, clock });
    } else if (flags.verify) {
      const { client } = clientFromFlags(flags);
      try {
        const v = await verifyZoneTokenOnline(client, token, scope);
        const checkedBy = `the control plane at ${client.baseUrl}`;
        info.verification = v.valid ? { valid: true, checkedBy, revocationChecked: true } : { valid: false, checkedBy, revocationChecked: true, reason: v.reason, message: v.message };
      } finally {
        client.close();
      }
    }
    if (!this.jsonEnabled()) process.stdout.write(renderZoneTokenInfo(info));
    // A rejected token is the answer, not a failure of the command: print it all, then exit 3.
    if (info.verification && !info.verification.valid) process.exitCode = ExitCode.rejected;
    return info;
  }
}
