/**
 * Validation of a set of loaded documents (one `zonectl validate` or `apply` run): every document
 * on its own, then the checks across documents. Returns data; printing is the caller's job.
 */
import type { Violation } from '../core/errors.js';
import { kindByType } from './kinds.js';
import type { LoadedDocument } from './load.js';
import { validateResource, type ValidateOptions } from './validate.js';

export type Severity = 'error' | 'warning';

/** A violation placed in its source file. */
export interface ReportedViolation extends Violation {
  severity: Severity;
  line: number;
  column: number;
  /** What kind of problem: 'syntax', 'resource' (schema or rule), 'duplicate', 'mesh-without-zoneegress'. */
  rule: ValidationRule;
}

export type ValidationRule = 'syntax' | 'resource' | 'duplicate' | 'mesh-without-zoneegress';

export interface DocumentResult {
  file: string;
  /** 0-based index of the document in its file. */
  document: number;
  /** 1-based line where the document starts. */
  line: number;
  type?: string;
  name?: string;
  /** False when any violation is an error (warnings alone keep a document valid). */
  valid: boolean;
  violations: ReportedViolation[];
  /** The parsed document (absent on a syntax error): what `apply` sends. */
  value?: unknown;
}

/**
 * Contract: validates every document (syntax errors become a violation on field `` with their
 * position), then across the set: a duplicate (type, mesh, name) is an error on the later
 * documents; a Mesh with `routing.zoneEgress: true` and no ZoneEgress in the set is a warning.
 * Results keep the input order; violations get their line/column through `doc.locate` only
 * when there are any.
 */
export function validateDocuments(docs: readonly LoadedDocument[], opts: ValidateOptions = {}): DocumentResult[] {
  const results: DocumentResult[] = [];
  for (const doc of docs) {
    if (doc.syntaxError) {
      const { message, line, column } = doc.syntaxError;
      results.push({ file: doc.file, document: doc.index, line: doc.line, valid: false, violations: [{ field: '', message, severity: 'error', line, column, rule: 'syntax' }] });
      continue;
    }
    const violations = validateResource(doc.value, opts).map((v) => place(doc, v, 'error', 'resource'));
    const meta = metaOf(doc.value);
    results.push({ file: doc.file, document: doc.index, line: doc.line, ...meta, valid: violations.length === 0, violations, value: doc.value });
  }
  crossChecks(docs, results);
  return results;
}

function place(doc: LoadedDocument, v: Violation, severity: Severity, rule: ValidationRule): ReportedViolation {
  const pos = doc.locate(v.field);
  return { field: v.field, message: v.message, severity, line: pos.line, column: pos.column, rule };
}

function metaOf(value: unknown): { type?: string; name?: string; mesh?: string } {
  if (value === null || typeof value !== 'object') return {};
  const o = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return { type: str(o.type), name: str(o.name), mesh: str(o.mesh) };
}

function crossChecks(docs: readonly LoadedDocument[], results: DocumentResult[]): void {
  const seen = new Map<string, DocumentResult>();
  let hasEgress = false;
  const egressMeshes: number[] = [];
  results.forEach((r, i) => {
    const meta = metaOf(r.value);
    if (!meta.type || !meta.name) return;
    if (meta.type === 'ZoneEgress') hasEgress = true;
    const kind = kindByType(meta.type);
    const mesh = kind?.scope === 'mesh' ? (meta.mesh ?? 'default') : '';
    const key = `${meta.type}\u0000${mesh}\u0000${meta.name}`;
    const first = seen.get(key);
    if (first) {
      const what = mesh ? `${meta.type} "${meta.name}" in mesh "${mesh}"` : `${meta.type} "${meta.name}"`;
      r.violations.push(place(docs[i], { field: 'name', message: `duplicate: ${what} is already defined in ${first.file} (document ${first.document}, line ${first.line})` }, 'error', 'duplicate'));
      r.valid = false;
    } else {
      seen.set(key, r);
    }
    const routing = (r.value as Record<string, unknown>).routing as Record<string, unknown> | undefined;
    if (meta.type === 'Mesh' && routing && typeof routing === 'object' && routing.zoneEgress === true) egressMeshes.push(i);
  });
  if (hasEgress) return;
  for (const i of egressMeshes) {
    results[i].violations.push(
      place(docs[i], { field: 'routing.zoneEgress', message: 'no ZoneEgress among the validated resources: cross-zone and external traffic of this mesh would fail (add a ZoneEgress, or validate it together with this Mesh)' }, 'warning', 'mesh-without-zoneegress'),
    );
  }
}
