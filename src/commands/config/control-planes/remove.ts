import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../../core/errors.js';
import { loadConfig, writeConfig } from '../../../cli/config-file.js';
import { configFileFlag } from '../../../cli/config-flags.js';
import { removeControlPlane } from '../../../cli/config-ops.js';
import { BaseCommand } from '../../../cli/base.js';

export default class ControlPlanesRemove extends BaseCommand {
  static override summary = 'Remove a control plane and the contexts that use it.';
  static override examples = ['$ <%= config.bin %> config control-planes remove staging', '$ <%= config.bin %> config control-planes remove --name staging'];
  static override args = { name: Args.string({ description: 'Name of the control plane.' }) };
  static override flags = { ...configFileFlag, name: Flags.string({ summary: 'Name of the control plane (kumactl spelling).' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ControlPlanesRemove);
    const name = args.name ?? flags.name;
    if (!name) throw new UsageError('which control plane? pass its name (see zonectl config control-planes list)');
    const { path: file, config } = loadConfig(flags['config-file']);
    const next = removeControlPlane(config, name);
    writeConfig(file, next);
    this.log(`removed Control Plane ${JSON.stringify(name)}`);
    // kumactl's second line: which control plane is active now, or that none is.
    const active = (next.contexts ?? []).find((c) => c.name === next.currentContext)?.controlPlane;
    this.log(active ? `switched active Control Plane to ${JSON.stringify(active)}` : 'there is no active Control Plane left. Use `zonectl config control-planes add` to add a Control Plane and make it active');
  }
}
