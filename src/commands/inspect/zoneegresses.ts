import { clockFromEnv } from '../../core/clock.js';
import { listAllPath, type ResourceList } from '../../client/resources.js';
import type { Resource } from '../../resources/types.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../../cli/data-command.js';
import { colorsFor, renderYaml } from '../../cli/printers.js';
import { renderEgressTable } from '../../cli/views/inspect.js';

export default class InspectZoneEgresses extends DataCommand {
  static override summary = 'Show every ZoneEgress with its connection status (from its insight).';
  static override description =
    'Online means a proxy is connected to the control plane now. Updates and errors are the config versions sent and rejected, summed over the connections the insight keeps.';
  static override examples = ['<%= config.bin %> inspect zoneegresses', '<%= config.bin %> inspect zoneegresses -o json'];

  static override flags = { ...cpFlags, ...outputFlag };

  async run(): Promise<ResourceList> {
    const { flags } = await this.parse(InspectZoneEgresses);
    const { client } = clientFromFlags(flags);
    let items: Resource[];
    try {
      items = await listAllPath(client, '/zoneegresses/_overview');
    } finally {
      client.close();
    }
    const list: ResourceList = { total: items.length, items, next: null };
    this.printData(flags.output, list, { table: () => renderEgressTable(items, clockFromEnv(), colorsFor()), yaml: () => renderYaml(list) });
    return list;
  }
}
