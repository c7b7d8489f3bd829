import { clockFromEnv } from '../../core/clock.js';
import { kindByType } from '../../resources/kinds.js';
import { listAllResources, listResources } from '../../client/resources.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../../cli/data-command.js';
import { renderYaml } from '../../cli/printers.js';
import { meshSummary, renderMeshSummaryTable, type MeshSummary } from '../../cli/views/inspect.js';

export interface MeshSummaryList {
  total: number;
  items: MeshSummary[];
}

export default class InspectMeshes extends DataCommand {
  static override summary = 'Show every Mesh with what it means for the egress: mTLS, egress routing, external services.';
  static override examples = ['<%= config.bin %> inspect meshes', '<%= config.bin %> inspect meshes -o yaml'];

  static override flags = { ...cpFlags, ...outputFlag };

  async run(): Promise<MeshSummaryList> {
    const { flags } = await this.parse(InspectMeshes);
    const { client } = clientFromFlags(flags);
    const meshKind = kindByType('Mesh');
    const esKind = kindByType('ExternalService');
    if (!meshKind || !esKind) throw new Error('kind registry lacks Mesh or ExternalService');
    let items: MeshSummary[];
    try {
      const meshes = await listAllResources(client, meshKind);
      // One small request per mesh: the list's `total` is the count.
      items = await Promise.all(meshes.map(async (m) => meshSummary(m, (await listResources(client, esKind, { mesh: m.name, size: 1 })).total)));
    } finally {
      client.close();
    }
    const list: MeshSummaryList = { total: items.length, items };
    this.printData(flags.output, list, { table: () => renderMeshSummaryTable(items, clockFromEnv()), yaml: () => renderYaml(list) });
    return list;
  }
}
