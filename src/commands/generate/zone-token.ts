import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { controlPlaneZone, requestZoneToken } from '../../client/tokens.js';
import { UsageError } from '../../core/errors.js';
import { clockFromEnv } from '../../core/clock.js';
import { mintZoneTokenOffline, ZONE_TOKEN_SCOPES, type ZoneTokenScope } from '../../tokens/index.js';

export default class GenerateZoneToken extends BaseCommand {
  static override summary = 'Generate a zone token that lets a ZoneEgress (or ZoneIngress) authenticate to the control plane.';
  static override description = `Prints only the token (with a trailing newline only on a terminal), so "> egress.token" writes a clean file. By default the control plane of the current context signs it (POST /tokens/zone, admin only). With --signing-key-path and --kid it is signed locally, exactly as the control plane would sign it with key <kid>.`;
  static override examples = [
    '$ <%= config.bin %> <%= command.id %> --zone zone-1 --scope egress --valid-for 720h > egress.token',
    '$ <%= config.bin %> <%= command.id %> --zone zone-1 --scope egress --scope ingress --valid-for 24h',
    '$ <%= config.bin %> <%= command.id %> --zone zone-1 --scope egress --valid-for 720h --signing-key-path key-1.pem --kid 1',
  ];

  static override flags = {
    ...cpFlags,
    zone: Flags.string({ summary: "Zone the token is valid in. Required with --signing-key-path; otherwise defaults to the control plane's zone (said on stderr). An explicit '' makes a token valid in every zone." }),
    scope: Flags.string({ summary: 'What the token may authenticate. Repeatable.', options: [...ZONE_TOKEN_SCOPES], multiple: true, delimiter: ',', required: true }),
    'valid-for': Flags.string({ summary: 'How long the token is valid, in Go duration syntax (e.g. 720h, 1h30m).' }),
    'signing-key-path': Flags.string({ summary: 'Sign offline with this PEM signing key instead of asking the control plane.', dependsOn: ['kid'] }),
    kid: Flags.integer({ summary: 'Serial number of the offline signing key (N of zone-token-signing-key-N).', min: 1, dependsOn: ['signing-key-path'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GenerateZoneToken);
    const scope = flags.scope as ZoneTokenScope[];
    let token: string;
    if (flags['signing-key-path'] !== undefined && flags.kid !== undefined) {
      if (flags.zone === undefined) throw new UsageError('--zone is required with --signing-key-path: pass the zone the token is valid in, e.g. --zone zone-1');
      token = await mintZoneTokenOffline({ zone: flags.zone, scope, validFor: flags['valid-for'], signingKeyPath: flags['signing-key-path'], kid: flags.kid, clock: clockFromEnv() });
    } else {
      const { client } = clientFromFlags(flags);
      try {
        let zone = flags.zone;
        if (zone === undefined) {
          zone = await controlPlaneZone(client);
          this.logToStderr(`--zone not given: the token is valid only in the control plane's zone ${JSON.stringify(zone)}`);
        }
        token = await requestZoneToken(client, { zone, scope, validFor: flags['valid-for'] });
      } finally {
        client.close();
      }
    }
    process.stdout.write(process.stdout.isTTY ? `${token}\n` : token);
  }
}
