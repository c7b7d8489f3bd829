import { Flags } from '@oclif/core';
import { loadConfig, redactConfig, renderConfig, type ZonectlConfig } from '../../cli/config-file.js';
import { configFileFlag } from '../../cli/config-flags.js';
import { DataCommand } from '../../cli/data-command.js';

export default class ConfigView extends DataCommand {
  static override summary = 'Show the config file (control planes, contexts, current context).';
  static override examples = ['$ <%= config.bin %> config view', '$ <%= config.bin %> config view --show-secrets', '$ <%= config.bin %> config view --config-file ./zonectl.config'];
  static override flags = { ...configFileFlag, 'show-secrets': Flags.boolean({ summary: 'Show tokens and credential headers instead of [redacted].', default: false }) };

  async run(): Promise<ZonectlConfig> {
    const { flags } = await this.parse(ConfigView);
    const loaded = loadConfig(flags['config-file']).config;
    const cfg = flags['show-secrets'] ? loaded : redactConfig(loaded);
    this.log(renderConfig(cfg).trimEnd());
    return cfg;
  }
}
