/**
 * Where `apply -f` reads from: a file, a directory (its .yaml/.yml/.json files, recursively, in
 * name order; others are skipped as kumactl does), an http(s) URL, or `-` for standard input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError, UsageError } from '../../core/errors.js';

export interface InputText {
  /** The name used in problem reports: the path, the URL, or `<stdin>`. */
  file: string;
  text: string;
}

const RESOURCE_FILE = /\.(ya?ml|json)$/i;

export async function readInputs(sources: readonly string[], opts: { stdin?: NodeJS.ReadableStream; timeoutMs?: number } = {}): Promise<InputText[]> {
  const out: InputText[] = [];
  for (const source of sources) {
    if (source === '-') out.push({ file: '<stdin>', text: await readStream(opts.stdin ?? process.stdin) });
    else if (/^https?:\/\//i.test(source)) out.push({ file: source, text: await fetchText(source, opts.timeoutMs ?? 60_000) });
    else out.push(...readPath(source));
  }
  return out;
}

function readPath(path: string): InputText[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (!isDir) return [{ file: path, text: readFileSync(path, 'utf8') }];
  const files = listResourceFiles(path);
  if (files.length === 0) throw new UsageError(`directory ${path} has no .yaml, .yml or .json files`);
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function listResourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listResourceFiles(full));
    else if (RESOURCE_FILE.test(entry.name)) out.push(full);
  }
  return out;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new UnavailableError(`could not download ${url}: ${cause} (check the URL, or download the file and pass its path)`);
  }
  if (!res.ok) throw new UnavailableError(`could not download ${url}: HTTP ${res.status} (check the URL)`);
  return res.text();
}
