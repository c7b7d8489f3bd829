import { loadConfig } from '../../../cli/config-file.js';
import { configFileFlag } from '../../../cli/config-flags.js';
import { listControlPlanes, type ControlPlaneListItem } from '../../../cli/config-ops.js';
import { DataCommand, outputFlag } from '../../../cli/data-command.js';
import { renderTable, renderYaml } from '../../../cli/printers.js';

export default class ControlPlanesList extends DataCommand {
  static override summary = 'List the control planes of the config file; * marks the active one.';
  static override examples = ['$ <%= config.bin %> config control-planes list'];
  static override flags = { ...configFileFlag, ...outputFlag };

  async run(): Promise<{ items: ControlPlaneListItem[] }> {
    const { flags } = await this.parse(ControlPlanesList);
    const items = listControlPlanes(loadConfig(flags['config-file']).config);
    const value = { items };
    this.printData(flags.output, value, {
      table: () => renderTable(['ACTIVE', 'NAME', 'ADDRESS'], items.map((i) => [i.active ? '*' : '', i.name, i.address])),
      yaml: () => renderYaml(value),
    });
    return value;
  }
}
