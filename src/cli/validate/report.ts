/**
 * The result of a validate run as data (the `-o json` contract, schemas/output/validate.schema.json)
 * and the wording its renderers share. The renderers (render.ts and one file per format) depend on
 * the report, never the other way.
 */
import type { DocumentResult, Severity, ValidationRule } from '../../resources/validate-set.js';

export interface ReportViolation {
  field: string;
  message: string;
  severity: Severity;
  line: number;
  column: number;
  rule: ValidationRule;
}

export interface ReportResult {
  file: string;
  document: number;
  line: number;
  type: string | null;
  name: string | null;
  valid: boolean;
  violations: ReportViolation[];
  /** Set when the document was not validated: a Kubernetes object of another API group. */
  skipped?: string;
}

export interface ValidateReport {
  valid: boolean;
  summary: { files: number; documents: number; invalid: number; warnings: number; skipped: number };
  results: ReportResult[];
}

/**
 * `allowEmpty`: a run that found no document at all (an empty directory, empty stdin after a
 * failed `cat` upstream) is a failure unless the caller accepts it, so CI cannot pass on nothing.
 */
export function buildReport(results: readonly DocumentResult[], files: number, opts: { allowEmpty?: boolean } = {}): ValidateReport {
  let invalid = 0;
  let warnings = 0;
  let skipped = 0;
  const out: ReportResult[] = results.map((r) => {
    if (!r.valid) invalid++;
    for (const v of r.violations) if (v.severity === 'warning') warnings++;
    const result: ReportResult = {
      file: r.file,
      document: r.document,
      line: r.line,
      type: r.type ?? null,
      name: r.name ?? null,
      valid: r.valid,
      // ReportedViolation has exactly the report's fields (pinned by the output schema test).
      violations: r.violations,
    };
    if (r.skipped !== undefined) {
      skipped++;
      result.skipped = r.skipped;
    }
    return result;
  });
  const empty = results.length === 0 && opts.allowEmpty !== true;
  return { valid: invalid === 0 && !empty, summary: { files, documents: results.length, invalid, warnings, skipped }, results: out };
}

/** `ZoneEgress "ze-1"`, `Foo`, or `document 2` when the document has no type. */
export function describeResult(r: Pick<ReportResult, 'type' | 'name' | 'document'>): string {
  if (r.type && r.name) return `${r.type} ${JSON.stringify(r.name)}`;
  return r.type ?? `document ${r.document}`;
}

/** `networking.port: message`, `YAML syntax: message`, or the message alone for a whole document. */
export function describeViolation(v: ReportViolation): string {
  if (v.rule === 'syntax') return `YAML syntax: ${v.message}`;
  return v.field ? `${v.field}: ${v.message}` : v.message;
}

export function summaryLine(report: ValidateReport): string {
  const { files, documents, invalid, warnings, skipped } = report.summary;
  const docs = plural(documents, 'document');
  const inFiles = `in ${plural(files, 'file')}`;
  const notes = [...(warnings ? [plural(warnings, 'warning')] : []), ...(skipped ? [`${skipped} skipped`] : [])];
  const warn = notes.length ? ` (${notes.join(', ')})` : '';
  if (documents === 0 && !report.valid) return `FAIL: no documents found ${inFiles} (an empty directory or empty input?); pass --allow-empty to accept that`;
  if (report.valid) return `OK: ${docs} ${inFiles}, all valid${warn}`;
  return `FAIL: ${invalid} of ${docs} invalid ${inFiles}${warn}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
