/**
 * `zonectl apply`: load every input, validate the whole set (nothing is sent when any document is
 * invalid), then upsert: Meshes first (mesh-scoped kinds need their Mesh), the rest after, each
 * group with bounded concurrency. Results come back in input order so the output is stable.
 */
import { ValidationError, isZonectlError } from '../../core/errors.js';
import { kindByType } from '../../resources/kinds.js';
import { loadDocuments, type LoadedDocument } from '../../resources/load.js';
import { META_KEYS, type Resource } from '../../resources/types.js';
import { validateDocuments, type DocumentResult, type ReportedViolation } from '../../resources/validate-set.js';
import type { ApiClient } from '../../client/api-client.js';
import { getResource, putResource } from '../../client/resources.js';
import type { InputText } from './inputs.js';

export type ApplyAction = 'created' | 'updated' | 'unchanged';

export interface AppliedItem {
  type: string;
  name: string;
  mesh?: string;
  action: ApplyAction | 'dry-run';
}

export interface ApplyResult {
  items: AppliedItem[];
  /** How many resources each action touched (kubectl-style summary). */
  summary?: Record<ApplyAction, number>;
  /** The resolved documents (with --dry-run). */
  resources?: Resource[];
}

export interface PlannedSet {
  resources: Resource[];
  /** Every problem of the set, each placed at file:line:column. */
  problems: string[];
  warnings: string[];
}

/** `file:line:col: message` lines of a validation result. */
function describe(r: DocumentResult, v: ReportedViolation): string {
  const what = r.type && r.name ? `${r.type} ${JSON.stringify(r.name)}: ` : '';
  return `${r.file}:${v.line}:${v.column}: ${what}${v.field ? `${v.field}: ` : ''}${v.message}`;
}

/** Loads and validates; resources come back ordered Meshes first, otherwise in input order. */
export function planApply(inputs: readonly InputText[], vars: Record<string, string> | undefined, opts: { strict?: boolean } = {}): PlannedSet {
  const docs: LoadedDocument[] = inputs.flatMap((i) => loadDocuments(i.text, { file: i.file, vars }));
  const results = validateDocuments(docs, { strict: opts.strict === true });
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const r of results) {
    if (r.skipped !== undefined) warnings.push(`${r.file}:${r.line}:1: skipped: ${r.skipped}`);
    for (const v of r.violations) {
      // The control plane may already hold the ZoneEgress a Mesh relies on: not a warning for apply.
      if (v.rule === 'mesh-without-zoneegress') continue;
      (v.severity === 'error' ? problems : warnings).push(describe(r, v));
    }
  }
  const resources = results.filter((r) => r.valid && r.value !== undefined).map((r) => r.value as Resource);
  if (docs.length === 0) problems.push('no resources found in the input');
  return { resources: [...resources.filter((r) => r.type === 'Mesh'), ...resources.filter((r) => r.type !== 'Mesh')], problems, warnings };
}

export interface ExecuteOptions {
  concurrency?: number;
  /** Called as each item completes, in input order (one output line per resource). */
  onApplied?: (item: AppliedItem) => void;
  onWarning?: (message: string) => void;
  /** Called after each write completes, in completion order (progress bar). */
  onProgress?: (done: number, total: number) => void;
}

function label(r: Resource): string {
  return `${r.type} ${JSON.stringify(r.name)}${kindByType(r.type)?.scope === 'mesh' ? ` in mesh ${JSON.stringify(r.mesh ?? 'default')}` : ''}`;
}

export function describeApplied(item: AppliedItem): string {
  const where = kindByType(item.type)?.scope === 'mesh' ? ` in mesh ${JSON.stringify(item.mesh ?? 'default')}` : '';
  return `${item.type} ${JSON.stringify(item.name)} ${item.action}${where}`;
}

/**
 * Upserts the resources. Stops starting new writes at the first failure, lets in-flight ones
 * finish, and throws that failure (same error class) with the resource named.
 */
export async function executeApply(client: ApiClient, resources: readonly Resource[], opts: ExecuteOptions = {}): Promise<AppliedItem[]> {
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const results: (AppliedItem | undefined)[] = new Array(resources.length);
  let emitted = 0;
  let done = 0;
  let failure: unknown;
  const emit = (): void => {
    // Not `onApplied?.(results[emitted++])`: optional chaining would skip the increment too.
    while (emitted < resources.length && results[emitted]) {
      const item = results[emitted] as AppliedItem;
      emitted++;
      opts.onApplied?.(item);
    }
  };
  const runGroup = async (indexes: number[]): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < indexes.length) {
        const i = indexes[next++];
        const r = resources[i];
        try {
          const mesh = kindByType(r.type)?.scope === 'mesh' ? (r.mesh ?? 'default') : undefined;
          let action: ApplyAction;
          if (await isUnchanged(client, r, mesh)) {
            action = 'unchanged';
          } else {
            const res = await putResource(client, r);
            for (const w of res.warnings) opts.onWarning?.(`${label(r)}: ${w}`);
            action = res.created ? 'created' : 'updated';
          }
          results[i] = { type: r.type, name: r.name, ...(mesh ? { mesh } : {}), action };
          opts.onProgress?.(++done, resources.length);
          emit();
        } catch (err) {
          if (failure === undefined) failure = withContext(err, `failed to apply ${label(r)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, indexes.length) }, worker));
  };
  const all = resources.map((_, i) => i);
  await runGroup(all.filter((i) => resources[i].type === 'Mesh'));
  if (failure === undefined) await runGroup(all.filter((i) => resources[i].type !== 'Mesh'));
  if (failure !== undefined) throw failure;
  return results as AppliedItem[];
}

/**
 * True when the control plane already holds exactly this content: the same spec fields and every
 * label of the document with the same value (labels the server computes, such as kuma.io/origin,
 * are not the user's to compare). Such a resource is not written again, so its modificationTime and
 * version stay and `apply` can say `unchanged`, as kubectl does.
 */
async function isUnchanged(client: ApiClient, r: Resource, mesh: string | undefined): Promise<boolean> {
  const kind = kindByType(r.type);
  if (!kind) return false;
  let current: Resource;
  try {
    current = await getResource(client, kind, r.name, { mesh });
  } catch (err) {
    // The comparison is an optimisation: when the read is refused or fails (a kuma-cp that wants
    // admin rights for it, say), the PUT goes ahead and reports whatever the server says.
    if (isZonectlError(err)) return false;
    throw err;
  }
  return sameContent(current, r);
}

export function sameContent(current: Resource, desired: Resource): boolean {
  const spec = (res: Resource) => Object.fromEntries(Object.entries(res).filter(([k]) => !META_KEYS.has(k)));
  if (!deepEqual(spec(current), spec(desired))) return false;
  const have = (current.labels ?? {}) as Record<string, string>;
  return Object.entries((desired.labels ?? {}) as Record<string, string>).every(([k, v]) => have[k] === v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** `3 created, 1 updated, 10 unchanged` (actions with zero left out; `nothing applied` for none). */
export function summarize(items: readonly AppliedItem[]): { counts: Record<ApplyAction, number>; line: string } {
  const counts: Record<ApplyAction, number> = { created: 0, updated: 0, unchanged: 0 };
  for (const i of items) if (i.action !== 'dry-run') counts[i.action]++;
  const parts = (Object.keys(counts) as ApplyAction[]).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return { counts, line: parts.length ? parts.join(', ') : 'nothing applied' };
}

function withContext(err: unknown, prefix: string): unknown {
  if (isZonectlError(err)) {
    err.message = `${prefix}: ${err.message}`;
    return err;
  }
  return err;
}

/** The error of an invalid set: problems are printed by the caller, this carries the exit code 3. */
export function rejectedSet(problems: readonly string[]): ValidationError {
  return new ValidationError(`${problems.length} problem${problems.length === 1 ? '' : 's'} found; nothing was applied (fix them and run apply again)`);
}
