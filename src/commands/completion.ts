import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { completionScript, SHELLS, type Shell } from '../cli/completion/scripts.js';

export default class Completion extends BaseCommand {
  static override summary = 'Print the shell completion script for bash, zsh or fish.';
  static override description =
    'The script completes commands, flags and their values, resource kinds after get and delete, and context names after --context, by asking zonectl itself at each Tab.';
  static override examples = [
    '$ source <(<%= config.bin %> completion bash)',
    '$ <%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"',
    '$ <%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ];

  static override args = { shell: Args.string({ description: 'The shell.', required: true, options: [...SHELLS] }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin));
  }
}
