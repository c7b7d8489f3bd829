/**
 * The base of every zonectl command. Its catch() is the CLI's one translation point for errors:
 * a coded ZonectlError becomes its message on stderr and its exit code (0 ok, 1 operational
 * failure, 2 usage, 3 input rejected); oclif's own parse errors are usage errors (2); anything
 * else is a bug and prints its stack only with DEBUG set. With --json (or -o json) the error is a
 * JSON object on stderr instead, so a script that parses stdout can parse failures too.
 */
import { Command, Errors } from '@oclif/core';
import { format } from 'node:util';
import { ExitCode, isZonectlError, type ErrorCode } from '../core/errors.js';

/** The shape of an error under --json: `{"error":{"code","message","exitCode"}}`. */
export interface JsonError {
  error: { code: ErrorCode; message: string; exitCode: number };
}

/** True when argv asks for JSON output (`--json`, `-o json`, `--output=json`, `-ojson`). */
export function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--json' || a === '-ojson' || a === '--output=json' || a === '-o=json') return true;
    if ((a === '-o' || a === '--output') && argv[i + 1] === 'json') return true;
  }
  return false;
}

export abstract class BaseCommand extends Command {
  /** oclif silences logToStderr under --json, which would leave a failing `get --json` mute. */
  override logToStderr(message = '', ...args: unknown[]): void {
    process.stderr.write(`${format(message, ...args)}\n`);
  }

  private fail(code: ErrorCode, message: string, exitCode: number, hint?: string): never {
    if (wantsJson(this.argv)) {
      const body: JsonError = { error: { code, message, exitCode } };
      process.stderr.write(`${JSON.stringify(body)}\n`);
    } else {
      this.logToStderr(`Error: ${message}`);
      if (hint) this.logToStderr(hint);
    }
    return this.exit(exitCode);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (isZonectlError(err)) return this.fail(err.code, err.message, err.exitCode);
    // oclif's ExitError (this.exit()) must pass through untouched.
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own errors (flag/argument parsing, `Flag --output expects a value`) are CLIErrors
    // whose exit code defaults to 2: usage errors.
    if (err instanceof Errors.CLIError) {
      return this.fail('usage', err.message, err.oclif?.exit ?? ExitCode.usage, err.message.includes('--help') ? undefined : 'See more help with --help');
    }
    if (process.env.DEBUG) this.logToStderr(err.stack ?? String(err));
    return this.fail('internal', err.message, ExitCode.failure);
  }
}
