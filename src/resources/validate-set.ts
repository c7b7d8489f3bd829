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
 * Results keep the input order and carry the parsed `value`; violations get their line/column
 * through `doc.locate` only when there are any.
 */
export function validateDocuments(docs: readonly LoadedDocument[], opts: ValidateOptions = {}): DocumentResult[] {
  const set = new DocumentSetValidator({ ...opts, keepValues: true });
  for (const doc of docs) set.add(doc);
  return set.finish();
}

export interface SetOptions extends ValidateOptions {
  /** Keep each document's parsed value in its result (apply needs it; validate does not). */
  keepValues?: boolean;
}

/**
 * The streaming form of validateDocuments(): add() documents one at a time as they are loaded,
 * then finish(). Nothing keeps a valid document's parsed value unless `keepValues` is set, so a
 * large run's objects die young (cheap for the garbage collector).
 */
export class DocumentSetValidator {
  private readonly results: DocumentResult[] = [];
  private readonly seen = new Map<string, DocumentResult>();
  private readonly egressMeshes: { doc: LoadedDocument; result: DocumentResult }[] = [];
  private hasEgress = false;

  constructor(private readonly opts: SetOptions = {}) {}

  add(doc: LoadedDocument): DocumentResult {
    // Plain object literals, not spreads: this runs once per document, mostly in cold code.
    if (doc.syntaxError) {
      const { message, line, column } = doc.syntaxError;
      const violation: ReportedViolation = { field: '', message, severity: 'error', line, column, rule: 'syntax' };
      const result: DocumentResult = { file: doc.file, document: doc.index, line: doc.line, valid: false, violations: [violation] };
      this.results.push(result);
      return result;
    }
    const found = validateResource(doc.value, this.opts);
    const violations = found.length === 0 ? [] : found.map((v) => place(doc, v, 'error', 'resource'));
    const meta = metaOf(doc.value);
    const result: DocumentResult = { file: doc.file, document: doc.index, line: doc.line, type: meta.type, name: meta.name, valid: violations.length === 0, violations };
    if (this.opts.keepValues) result.value = doc.value;
    this.results.push(result);
    this.crossCheck(doc, meta, result);
    return result;
  }

  /** Adds the warnings that need the whole set and returns all results in input order. */
  finish(): DocumentResult[] {
    if (!this.hasEgress) {
      for (const { doc, result } of this.egressMeshes) {
        result.violations.push(
          place(doc, { field: 'routing.zoneEgress', message: 'no ZoneEgress among the validated resources: cross-zone and external traffic of this mesh would fail (add a ZoneEgress, or validate it together with this Mesh)' }, 'warning', 'mesh-without-zoneegress'),
        );
      }
    }
    this.egressMeshes.length = 0;
    return this.results;
  }

  private crossCheck(doc: LoadedDocument, meta: Meta, result: DocumentResult): void {
    if (!meta.type || !meta.name) return;
    if (meta.type === 'ZoneEgress') this.hasEgress = true;
    if (meta.type === 'Mesh' && meta.zoneEgress) this.egressMeshes.push({ doc, result });
    const kind = kindByType(meta.type);
    const mesh = kind?.scope === 'mesh' ? (meta.mesh ?? '') : '';
    const key = `${meta.type}\u0000${mesh}\u0000${meta.name}`;
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, result);
      return;
    }
    const what = kind?.scope === 'mesh' ? `${meta.type} "${meta.name}" in mesh "${mesh}"` : `${meta.type} "${meta.name}"`;
    result.violations.push(place(doc, { field: 'name', message: `duplicate: ${what} is already defined in ${first.file} (document ${first.document}, line ${first.line})` }, 'error', 'duplicate'));
    result.valid = false;
  }
}

function place(doc: LoadedDocument, v: Violation, severity: Severity, rule: ValidationRule): ReportedViolation {
  const pos = doc.locate(v.field);
  return { field: v.field, message: v.message, severity, line: pos.line, column: pos.column, rule };
}

interface Meta {
  type?: string;
  name?: string;
  mesh?: string;
  zoneEgress?: boolean;
}

function metaOf(value: unknown): Meta {
  if (value === null || typeof value !== 'object') return {};
  const o = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const routing = o.routing;
  const zoneEgress = routing !== null && typeof routing === 'object' && (routing as Record<string, unknown>).zoneEgress === true;
  return { type: str(o.type), name: str(o.name), mesh: str(o.mesh), zoneEgress };
}
