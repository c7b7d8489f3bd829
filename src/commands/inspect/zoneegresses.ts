import { clockFromEnv } from '../../core/clock.js';
import { listAllPath, type ResourceList } from '../../client/resources.js';
import type { Resource } from '../../resources/types.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, listOutputFlag, watchFlags } from '../../cli/data-command.js';
import { colorsFor, renderYaml } from '../../cli/printers.js';
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
    const fetch = async (): Promise<ResourceList> => {
      const items: Resource[] = await listAllPath(client, '/zoneegresses/_overview');
      return { total: items.length, items, next: null };
    };
    const views = (list: ResourceList) => ({
      table: () => renderEgressTable(list.items, clockFromEnv(), colorsFor()),
      wide: () => renderEgressTable(list.items, clockFromEnv(), colorsFor(), { wide: true }),
      yaml: () => renderYaml(list),
    });
    try {
      if (flags.watch) return await this.watch(flags, fetch, views);
      const list = await fetch();
      this.printData(flags.output, list, views(list));
      return list;
    } finally {
      client.close();
    }
  }
}
