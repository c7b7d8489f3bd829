import { clockFromEnv } from '../../core/clock.js';
import { listAllPath, type ResourceList } from '../../client/resources.js';
import type { Resource } from '../../resources/types.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, listOutputFlag, watchFlags } from '../../cli/data-command.js';
import { colorsFor, renderYaml } from '../../cli/printers.js';
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
    const fetch = async (): Promise<ResourceList> => {
      const items: Resource[] = await listAllPath(client, '/zones/_overview');
      return { total: items.length, items, next: null };
    };
    const views = (list: ResourceList) => ({
      table: () => renderZoneTable(list.items, clockFromEnv(), colorsFor()),
      wide: () => renderZoneTable(list.items, clockFromEnv(), colorsFor(), { wide: true }),
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
