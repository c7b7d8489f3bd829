import { Args, Flags } from '@oclif/core';
import { clockFromEnv } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { getResource, listResources, type ResourceList } from '../client/resources.js';
import type { Resource } from '../resources/types.js';
import { clientFromFlags, cpFlags } from '../cli/cp-flags.js';
import { DataCommand, listOutputFlag, watchFlags } from '../cli/data-command.js';
import { kindFromArg, kindNames } from '../cli/kind-arg.js';
import { renderDocumentsYaml, renderResourceYaml, renderYaml } from '../cli/printers.js';
import { renderItemTable, renderListTable } from '../cli/views/resources.js';

export default class Get extends DataCommand {
  static override summary = 'Show resources of one kind, or one resource by name.';
  static override description = `KIND is one of: ${kindNames().join(', ')} (singular forms work too).`;
  static override examples = [
    '$ <%= config.bin %> get zoneegresses',
    '$ <%= config.bin %> get meshes -o yaml',
    '$ <%= config.bin %> get zoneegress zoneegress-1 -o json',
    '$ <%= config.bin %> get external-services -m default --size 50 --offset 50',
    '$ <%= config.bin %> get zoneegresses -o wide --watch',
    '$ <%= config.bin %> get meshes -o yaml --format kubernetes | kubectl apply -f -',
  ];

  static override args = {
    kind: Args.string({ required: true, description: 'Resource kind, e.g. zoneegresses.' }),
    name: Args.string({ description: 'Name of one resource.' }),
  };

  static override flags = {
    ...cpFlags,
    ...listOutputFlag,
    ...watchFlags,
    mesh: Flags.string({ char: 'm', summary: "Mesh of mesh-scoped kinds (default: the context's, else `default`)." }),
    size: Flags.integer({ summary: 'Page size (the server caps it at 1000).', min: 1 }),
    offset: Flags.string({ summary: 'Offset of the page, as printed in the footer of the previous one.' }),
    format: Flags.string({
      summary: "Form of -o yaml and -o json: Kuma's Universal REST shape, or the Kubernetes form of its CRDs (a list prints as YAML documents kubectl apply takes).",
      options: ['universal', 'kubernetes'],
      default: 'universal',
    }),
  };

  async run(): Promise<ResourceList | Resource> {
    const { args, flags } = await this.parse(Get);
    const kind = kindFromArg(args.kind);
    const { client, defaultMesh } = clientFromFlags(flags);
    const mesh = kind.scope === 'mesh' ? (flags.mesh ?? defaultMesh) : undefined;
    const clock = clockFromEnv();
    const k8s = flags.format === 'kubernetes';
    if (k8s && !['yaml', 'json'].includes(flags.output ?? 'table') && !this.jsonEnabled()) throw new UsageError('--format kubernetes shapes -o yaml and -o json output: add -o yaml (or -o json)');
    const format = k8s ? ('kubernetes' as const) : undefined;
    const itemViews = (item: Resource) => ({
      table: () => renderItemTable(kind, item, clock),
      wide: () => renderItemTable(kind, item, clock, { wide: true }),
      yaml: () => (k8s ? renderYaml(item) : renderResourceYaml(item)),
    });
    const listViews = (list: ResourceList) => ({
      table: () => renderListTable(kind, list, clock),
      wide: () => renderListTable(kind, list, clock, { wide: true }),
      yaml: () => (k8s ? renderDocumentsYaml(list.items) : renderYaml(list)),
    });
    try {
      if (args.name !== undefined) {
        const name = args.name;
        return await this.printOrWatch(flags, () => getResource(client, kind, name, { mesh, format }), itemViews);
      }
      return await this.printOrWatch(flags, () => listResources(client, kind, { mesh, size: flags.size, offset: flags.offset, format }), listViews);
    } finally {
      client.close();
    }
  }
}
