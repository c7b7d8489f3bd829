import type { ResourceList } from '../../client/resources.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, listOutputFlag, watchFlags } from '../../cli/data-command.js';
import { listOverviews, overviewViews } from '../../cli/overview.js';
import { renderZoneTable } from '../../cli/views/zones.js';

export default class InspectZones extends DataCommand {
  static override summary = 'Show every zone of a multizone deployment with its connection status (on the global control plane).';
  static override description =
    'Online means the zone control plane holds its sync stream to the global now. Updates and errors are the sync steps sent to the zone and rejected by it, summed over the connections its ZoneInsight keeps.';
  static override examples = ['$ <%= config.bin %> inspect zones', '$ <%= config.bin %> inspect zones -o json', '$ <%= config.bin %> inspect zones -o wide --watch'];

  static override flags = { ...cpFlags, ...listOutputFlag, ...watchFlags };

  async run(): Promise<ResourceList> {
    const { flags } = await this.parse(InspectZones);
    const { client } = clientFromFlags(flags);
    try {
      return await this.printOrWatch(flags, () => listOverviews(client, '/zones/_overview'), overviewViews(renderZoneTable));
    } finally {
      client.close();
    }
  }
}
