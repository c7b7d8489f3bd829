import { Args, Flags } from '@oclif/core';
import { deleteResource } from '../client/resources.js';
import { clientFromFlags, cpFlags } from '../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../cli/data-command.js';
import { renderYaml } from '../cli/printers.js';
import { kindFromArg, kindNames } from '../cli/kind-arg.js';

export interface DeleteResult {
  deleted: { type: string; name: string; mesh?: string };
}

export default class Delete extends DataCommand {
  static override summary = 'Delete one resource.';
  static override description = `KIND is one of: ${kindNames().join(', ')} (singular forms work too).`;
  static override examples = [
    '$ <%= config.bin %> delete zoneegress zoneegress-1',
    '$ <%= config.bin %> delete external-service httpbin -m default',
    '$ <%= config.bin %> delete global-secret zone-token-signing-key-1 --force',
  ];

  static override args = {
    kind: Args.string({ required: true, description: 'Resource kind, e.g. zoneegress.' }),
    name: Args.string({ required: true, description: 'Name of the resource.' }),
  };

  static override flags = {
    ...cpFlags,
    ...outputFlag,
    mesh: Flags.string({ char: 'm', summary: "Mesh of mesh-scoped kinds (default: the context's, else `default`)." }),
    force: Flags.boolean({ summary: 'Delete even what the control plane protects with a 409, e.g. a zone-token signing key that connected egresses still use.' }),
  };

  async run(): Promise<DeleteResult> {
    const { args, flags } = await this.parse(Delete);
    const kind = kindFromArg(args.kind);
    const { client, defaultMesh } = clientFromFlags(flags);
    const mesh = kind.scope === 'mesh' ? (flags.mesh ?? defaultMesh) : undefined;
    try {
      await deleteResource(client, kind, args.name, { mesh, force: flags.force });
    } finally {
      client.close();
    }
    const result: DeleteResult = { deleted: { type: kind.type, name: args.name, ...(mesh ? { mesh } : {}) } };
    this.printData(flags.output, result, {
      table: () => `deleted ${kind.type} ${JSON.stringify(args.name)}${mesh ? ` from mesh ${JSON.stringify(mesh)}` : ''}\n`,
      yaml: () => renderYaml(result),
    });
    return result;
  }
}
