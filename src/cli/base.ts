/**
 * The base of every zonectl command. Its catch() is the CLI's one translation point for errors:
 * a coded ZonectlError becomes its message on stderr and its exit code (0 ok, 1 operational
 * failure, 2 usage, 3 input rejected); oclif's own parse errors are usage errors (2); anything
 * else is a bug and prints its stack only with DEBUG set.
 */
import { Command, Errors } from '@oclif/core';
import { format } from 'node:util';
import { ExitCode, isZonectlError } from '../core/errors.js';

export abstract class BaseCommand extends Command {
  /** oclif silences logToStderr under --json, which would leave a failing `get --json` mute. */
  override logToStderr(message = '', ...args: unknown[]): void {
    process.stderr.write(`${format(message, ...args)}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (isZonectlError(err)) {
      this.logToStderr(`Error: ${err.message}`);
      return this.exit(err.exitCode);
    }
    // oclif's ExitError (this.exit()) must pass through untouched.
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own errors (flag/argument parsing, `Flag --output expects a value`) are CLIErrors
    // whose exit code defaults to 2: usage errors.
    if (err instanceof Errors.CLIError) {
      this.logToStderr(`Error: ${err.message}`);
      if (!err.message.includes('--help')) this.logToStderr(`See more help with --help`);
      return this.exit(err.oclif?.exit ?? ExitCode.usage);
    }
    if (process.env.DEBUG) this.logToStderr(err.stack ?? String(err));
    this.logToStderr(`Error: ${err.message}`);
    return this.exit(ExitCode.failure);
  }
}
