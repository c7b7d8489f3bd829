/**
 * oclif's command_not_found hook: a usage error (exit 2) that names what was typed and the closest
 * command. Unlike @oclif/plugin-not-found it never prompts, so scripts and CI logs get the same
 * suggestion a terminal does (kubectl's and gh's behaviour).
 */
import type { Hook } from '@oclif/core';
import { ExitCode } from '../../core/errors.js';
import { suggestCommand } from '../suggest.js';

const hook: Hook<'command_not_found'> = async function (opts) {
  const hidden = new Set(opts.config.commands.filter((c) => c.hidden).map((c) => c.id));
  const ids = opts.config.commandIDs.filter((id) => !hidden.has(id));
  const s = suggestCommand(opts.id, ids);
  const bin = opts.config.bin;
  const lines = [`Error: unknown command "${s.typed}" for "${bin}"`];
  if (s.command) lines.push('', 'Did you mean this?', `  ${s.command}`);
  lines.push('', `Run '${bin} help' for a list of commands.`);
  process.stderr.write(`${lines.join('\n')}\n`);
  this.exit(ExitCode.usage);
};

export default hook;
