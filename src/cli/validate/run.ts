/**
 * `zonectl validate` without oclif: collect the inputs, load and validate them, render the
 * report. Shared by the oclif command and the fast path, so both behave identically.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { iterateDocuments } from '../../resources/load.js';
import { DocumentSetValidator } from '../../resources/validate-set.js';
import type { ValidateArgs } from './flags.js';
import { renderReport } from './render.js';
import { buildReport, type ValidateReport } from './report.js';

export const STDIN_NAME = '<stdin>';
const EXTENSIONS = /\.(ya?ml|json)$/i;

export interface ValidateIo {
  /** Reads all of standard input (called at most once, only for `-`). */
  readStdin(): string;
}

export interface ValidateOutcome {
  report: ValidateReport;
  /** The rendered report, ending with a newline. */
  output: string;
  /** 0 valid, 3 invalid (or warnings with --fail-on-warn). Usage problems throw UsageError. */
  exitCode: number;
}

export function runValidate(args: ValidateArgs, io: ValidateIo): ValidateOutcome {
  const vars = parseVars(args.vars);
  const inputs = collectInputs(args.paths);
  const set = new DocumentSetValidator({ strict: args.strict, strictKinds: args.strictKinds });
  for (const input of inputs) {
    const text = input.path === '-' ? io.readStdin() : readInput(input.path);
    for (const doc of iterateDocuments(text, { file: input.name, vars })) set.add(doc);
  }
  const results = set.finish();
  const report = buildReport(results, inputs.length, { allowEmpty: args.allowEmpty });
  const failed = !report.valid || (args.failOnWarn && report.summary.warnings > 0);
  return { report, output: renderReport(report, args.output), exitCode: failed ? 3 : 0 };
}

/** `--var k=v` values; the first `=` separates key and value (values may contain `=`). */
export function parseVars(list: readonly string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const vars: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --var ${JSON.stringify(item)}: expected KEY=VALUE, e.g. --var address=10.0.0.5`);
    vars[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return vars;
}

interface Input {
  path: string;
  name: string;
}

function collectInputs(paths: readonly string[]): Input[] {
  if (paths.length === 0) throw new UsageError('nothing to validate: pass files, directories, or - for standard input (see zonectl validate --help)');
  const out: Input[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ path: '-', name: STDIN_NAME });
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new UsageError(`cannot read ${p}: ${reason(err)} (check the path)`);
    }
    if (st.isDirectory()) walk(p, out);
    else out.push({ path: p, name: p });
  }
  return out;
}

/** Recursive, sorted, .yaml/.yml/.json only; hidden entries (.git) are skipped. */
function walk(dir: string, out: Input[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new UsageError(`cannot read directory ${dir}: ${reason(err)}`);
  }
  for (const e of entries) {
    if (e.startsWith('.')) continue;
    const p = join(dir, e);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) walk(p, out);
    else if (st?.isFile() && EXTENSIONS.test(e)) out.push({ path: p, name: p });
  }
}

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${reason(err)} (check the path and its permissions)`);
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error).message;
}
