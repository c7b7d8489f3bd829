import { loadConfig, renderConfig, type ZonectlConfig } from '../../cli/config-file.js';
import { configFileFlag } from '../../cli/config-flags.js';
import { DataCommand } from '../../cli/data-command.js';

export default class ConfigView extends DataCommand {
  static override summary = 'Show the config file (control planes, contexts, current context).';
  static override examples = ['$ <%= config.bin %> config view', '$ <%= config.bin %> config view --config-file ./zonectl.config'];
  static override flags = { ...configFileFlag };

  async run(): Promise<ZonectlConfig> {
    const { flags } = await this.parse(ConfigView);
    const cfg = loadConfig(flags['config-file']).config;
    this.log(renderConfig(cfg).trimEnd());
    return cfg;
  }
}
