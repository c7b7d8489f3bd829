import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { EGRESS_ADMIN_VIEWS, inspectEgressAdmin, type EgressAdminView } from '../../client/egress-admin.js';

export default class InspectZoneEgress extends BaseCommand {
  static override summary = "Show one egress's admin output (config dump, stats or clusters) through the control plane.";
  static override description =
    "The control plane fetches it from the egress's admin address (ZoneEgress networking.address and admin.port), like kumactl inspect zoneegress --type. Private keys are redacted by the egress. Admin only.";
  static override examples = [
    '$ <%= config.bin %> inspect zoneegress zoneegress-1 --type config-dump',
    '$ <%= config.bin %> inspect zoneegress zoneegress-1 --type stats',
  ];

  static override args = { name: Args.string({ description: 'ZoneEgress name.', required: true }) };
  static override flags = {
    ...cpFlags,
    type: Flags.string({ summary: 'What to show.', options: [...EGRESS_ADMIN_VIEWS], default: 'config-dump' }),
    // kumactl's flags, accepted so its scripts run: the egress's config dump has no separate EDS part.
    'include-eds': Flags.boolean({ summary: "Include endpoints in the config dump (kumactl's flag; zonectl's dump always has them)." }),
    'config-dump': Flags.boolean({ summary: 'Same as --type config-dump.', deprecated: { message: 'use --type=config-dump' } }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(InspectZoneEgress);
    const { client } = clientFromFlags(flags);
    try {
      const text = await inspectEgressAdmin(client, args.name, (flags['config-dump'] ? 'config-dump' : flags.type) as EgressAdminView);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    } finally {
      client.close();
    }
  }
}
