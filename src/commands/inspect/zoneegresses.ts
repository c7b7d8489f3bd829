import type { ResourceList } from '../../client/resources.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, listOutputFlag, watchFlags } from '../../cli/data-command.js';
import { listOverviews, overviewViews } from '../../cli/overview.js';
import { renderEgressTable } from '../../cli/views/inspect.js';

export default class InspectZoneEgresses extends DataCommand {
  static override summary = 'Show every ZoneEgress with its connection status (from its insight).';
  static override description =
    'Online means a proxy is connected to the control plane now. Updates and errors are the config versions sent and rejected, summed over the connections the insight keeps.';
  static override examples = ['$ <%= config.bin %> inspect zoneegresses', '$ <%= config.bin %> inspect zoneegresses -o json', '$ <%= config.bin %> inspect zoneegresses -o wide --watch'];

  static override flags = { ...cpFlags, ...listOutputFlag, ...watchFlags };

  async run(): Promise<ResourceList> {
    const { flags } = await this.parse(InspectZoneEgresses);
    const { client } = clientFromFlags(flags);
    try {
      return await this.printOrWatch(flags, () => listOverviews(client, '/zoneegresses/_overview'), overviewViews(renderEgressTable));
    } finally {
      client.close();
    }
  }
}
