import { clockFromEnv } from '../../core/clock.js';
import { kindByType } from '../../resources/kinds.js';
import { listAllResources, listResources } from '../../client/resources.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, outputFlag, watchFlags } from '../../cli/data-command.js';
import { renderYaml } from '../../cli/printers.js';
import { meshSummary, renderMeshSummaryTable, type MeshSummary } from '../../cli/views/inspect.js';

export interface MeshSummaryList {
  total: number;
  items: MeshSummary[];
}

export default class InspectMeshes extends DataCommand {
  static override summary = 'Show every Mesh with what it means for the egress: mTLS, egress routing, external services.';
  static override examples = ['$ <%= config.bin %> inspect meshes', '$ <%= config.bin %> inspect meshes -o yaml'];

  static override flags = { ...cpFlags, ...outputFlag, ...watchFlags };

  async run(): Promise<MeshSummaryList> {
    const { flags } = await this.parse(InspectMeshes);
    const { client } = clientFromFlags(flags);
    const meshKind = kindByType('Mesh');
    const esKind = kindByType('ExternalService');
    if (!meshKind || !esKind) throw new Error('kind registry lacks Mesh or ExternalService');
    const fetch = async (): Promise<MeshSummaryList> => {
      const meshes = await listAllResources(client, meshKind);
      // One small request per mesh: the list's `total` is the count.
      const items = await Promise.all(meshes.map(async (m) => meshSummary(m, (await listResources(client, esKind, { mesh: m.name, size: 1 })).total)));
      return { total: items.length, items };
    };
    const views = (list: MeshSummaryList) => ({ table: () => renderMeshSummaryTable(list.items, clockFromEnv()), yaml: () => renderYaml(list) });
    try {
      return await this.printOrWatch(flags, fetch, views);
    } finally {
      client.close();
    }
  }
}
