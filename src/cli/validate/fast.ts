/**
 * The fast path of `zonectl validate`: runs before oclif loads (bin/run.js -> dist/fast), with
 * the same flag table and the same runner as the oclif command. Anything it does not fully
 * understand (help, unknown flags, bad values) goes back to oclif by returning false.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { isZonectlError } from '../../core/errors.js';
import { parseValidateArgv } from './flags.js';
import { runValidate } from './run.js';

export async function validateFast(argv: string[]): Promise<boolean> {
  const args = parseValidateArgv(argv);
  if (!args) return false;
  // A one-shot run over thousands of documents spends more CPU in V8's optimizing compiler
  // (on background threads) than optimized code gives back before the process exits: raising
  // the tier-up budget keeps the hot loops in the baseline tiers. It cut total process time of
  // `npm run bench:validate` (1 MiB) by about a fifth. The flag only sets a counter's start value.
  setFlagsFromString('--interrupt-budget=1000000');
  try {
    const outcome = runValidate(args, { readStdin: () => readFileSync(0, 'utf8') });
    process.stdout.write(outcome.output);
    // exitCode, not exit(): a large report on a pipe must be flushed first.
    process.exitCode = outcome.exitCode;
  } catch (err) {
    if (!isZonectlError(err)) throw err;
    // The same words and exit code as BaseCommand.catch().
    process.stderr.write(`Error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
  return true;
}
