/**
 * Validation of a set of loaded documents (one `zonectl validate` or `apply` run): every document
 * on its own, then the checks across documents. Returns data; printing is the caller's job.
 */
import type { Violation } from '../core/errors.js';
import { kindByType } from './kinds.js';
import type { LoadedDocument } from './load.js';
import { KUMA_API_VERSION } from './kubernetes.js';
import type { SkippedDocument } from './validate-form.js';
import type { ValidateOptions } from './validate.js';
import { validateDocument } from './validate-form.js';

export type Severity = 'error' | 'warning';

/** A violation placed in its source file. */
export interface ReportedViolation extends Violation {
  severity: Severity;
  line: number;
  column: number;
  /** What kind of problem: 'syntax', 'resource' (schema or rule), 'duplicate', 'mesh-without-zoneegress', 'kind'. */
  rule: ValidationRule;
}

/** `kind`: a Kubernetes object zonectl does not validate (a warning for Kuma kinds it does not model, an error with strictKinds). */
export type ValidationRule = 'syntax' | 'resource' | 'duplicate' | 'mesh-without-zoneegress' | 'kind';

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
  /** The document in Universal form (absent on a syntax error or when skipped): what `apply` sends. */
  value?: unknown;
  /** Why the document was not validated: a Kubernetes object of another API group (absent otherwise). */
  skipped?: string;
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
  /** Kubernetes objects zonectl does not validate are errors instead of skipped (`--strict-kinds`). */
  strictKinds?: boolean;
}

/**
 * The streaming form of validateDocuments(): add() documents one at a time as they are loaded,
 * then finish(). Nothing keeps a valid document's parsed value unless `keepValues` is set, so a
 * large run's objects die young (cheap for the garbage collector).
 */
export class DocumentSetValidator {
  private readonly results: DocumentResult[] = [];
  private readonly seen = new Map<string, DocumentResult>();
  private readonly egressMeshes: { doc: LoadedDocument; result: DocumentResult; field: string }[] = [];
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
    const checked = validateDocument(doc.value, this.opts);
    if (checked.skipped) return this.skip(doc, checked.skipped);
    const violations = checked.violations.length === 0 ? [] : checked.violations.map((v) => place(doc, v, 'error', 'resource'));
    for (const w of checked.warnings) violations.push(place(doc, w, 'warning', 'resource'));
    const meta = metaOf(checked.resource);
    const result: DocumentResult = { file: doc.file, document: doc.index, line: doc.line, type: meta.type, name: meta.name, valid: checked.violations.length === 0, violations };
    if (this.opts.keepValues) result.value = checked.resource;
    this.results.push(result);
    this.crossCheck(doc, meta, result, checked.form === 'kubernetes' ? 'metadata.name' : 'name');
    return result;
  }

  /** Another API group's object: skipped (an error with strictKinds); a Kuma kind zonectl does not model: a warning. */
  private skip(doc: LoadedDocument, s: SkippedDocument): DocumentResult {
    const result: DocumentResult = { file: doc.file, document: doc.index, line: doc.line, type: s.kind || undefined, name: s.name, valid: true, violations: [] };
    if (this.opts.strictKinds) {
      result.violations.push(place(doc, { field: 'kind', message: `${s.reason} (rejected by --strict-kinds: only ${KUMA_API_VERSION} kinds zonectl models are accepted)` }, 'error', 'kind'));
      result.valid = false;
    } else if (s.kuma) {
      result.violations.push(place(doc, { field: 'kind', message: s.reason }, 'warning', 'kind'));
    } else {
      result.skipped = s.reason;
    }
    this.results.push(result);
    return result;
  }

  /** Adds the warnings that need the whole set and returns all results in input order. */
  finish(): DocumentResult[] {
    if (!this.hasEgress) {
      for (const { doc, result, field } of this.egressMeshes) {
        result.violations.push(
          place(doc, { field, message: 'no ZoneEgress among the validated resources: cross-zone and external traffic of this mesh would fail (add a ZoneEgress, or validate it together with this Mesh)' }, 'warning', 'mesh-without-zoneegress'),
        );
      }
    }
    this.egressMeshes.length = 0;
    return this.results;
  }

  private crossCheck(doc: LoadedDocument, meta: Meta, result: DocumentResult, nameField: string): void {
    if (!meta.type || !meta.name) return;
    if (meta.type === 'ZoneEgress') this.hasEgress = true;
    if (meta.type === 'Mesh' && meta.zoneEgress) this.egressMeshes.push({ doc, result, field: nameField === 'name' ? 'routing.zoneEgress' : 'spec.routing.zoneEgress' });
    const kind = kindByType(meta.type);
    const mesh = kind?.scope === 'mesh' ? (meta.mesh ?? '') : '';
    const key = `${meta.type}\u0000${mesh}\u0000${meta.name}`;
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, result);
      return;
    }
    const what = kind?.scope === 'mesh' ? `${meta.type} "${meta.name}" in mesh "${mesh}"` : `${meta.type} "${meta.name}"`;
    result.violations.push(place(doc, { field: nameField, message: `duplicate: ${what} is already defined in ${first.file} (document ${first.document}, line ${first.line})` }, 'error', 'duplicate'));
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
