import { Args, Flags } from '@oclif/core';
import { UsageError } from '../../../core/errors.js';
import { loadConfig, writeConfig } from '../../../cli/config-file.js';
import { configFileFlag } from '../../../cli/config-flags.js';
import { useControlPlane } from '../../../cli/config-ops.js';
import { BaseCommand } from '../../../cli/base.js';

export default class ControlPlanesUse extends BaseCommand {
  static override summary = 'Make a control plane (its context) the active one.';
  static override aliases = ['config:control-planes:switch'];
  static override examples = ['$ <%= config.bin %> config control-planes use staging', '$ <%= config.bin %> config control-planes use --name staging'];
  static override args = { name: Args.string({ description: 'Name of the control plane.' }) };
  static override flags = { ...configFileFlag, name: Flags.string({ summary: 'Name of the control plane (kumactl spelling).' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ControlPlanesUse);
    const name = args.name ?? flags.name;
    if (!name) throw new UsageError('which control plane? pass its name (see zonectl config control-planes list)');
    const { path: file, config } = loadConfig(flags['config-file']);
    writeConfig(file, useControlPlane(config, name));
    this.log(`switched active Control Plane to ${JSON.stringify(name)}`);
  }
}
