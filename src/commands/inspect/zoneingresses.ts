import type { ResourceList } from '../../client/resources.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../../cli/data-command.js';
import { listOverviews, overviewViews } from '../../cli/overview.js';
import { renderIngressTable } from '../../cli/views/inspect.js';

export default class InspectZoneIngresses extends DataCommand {
  static override summary = 'Show every ZoneIngress with its connection status (from its insight).';
  static override description = "kumactl's table. Ingresses of other zones, applied by hand or synced from a global, have no insight here and show Offline.";
  static override aliases = ['inspect:zone-ingresses'];
  static override examples = ['$ <%= config.bin %> inspect zoneingresses', '$ <%= config.bin %> inspect zoneingresses -o json'];

  static override flags = { ...cpFlags, ...outputFlag };

  async run(): Promise<ResourceList> {
    const { flags } = await this.parse(InspectZoneIngresses);
    const { client } = clientFromFlags(flags);
    try {
      return await this.printOrWatch(flags, () => listOverviews(client, '/zoneingresses/_overview'), overviewViews(renderIngressTable));
    } finally {
      client.close();
    }
  }
}
