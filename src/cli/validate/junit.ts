/**
 * JUnit XML, the format every CI system renders: one testsuite per file, one testcase per
 * document. A document with errors is a failed testcase; warnings are listed in its system-out
 * and never fail it (the exit code carries --fail-on-warn).
 */
import { describeResult, describeViolation, plural, type ReportResult, type ValidateReport } from './report.js';

// XML 1.0 cannot carry C0 control characters other than tab, LF and CR: drop them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(XML_INVALID, '');

export function renderJunit(report: ValidateReport): string {
  const byFile = new Map<string, ReportResult[]>();
  for (const r of report.results) {
    const list = byFile.get(r.file) ?? [];
    list.push(r);
    byFile.set(r.file, list);
  }
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="zonectl validate" tests="${report.summary.documents}" failures="${report.summary.invalid}" errors="0" skipped="${report.summary.skipped}">`);
  for (const [file, results] of byFile) {
    const failures = results.filter((r) => !r.valid).length;
    const skipped = results.filter((r) => r.skipped !== undefined).length;
    out.push(`  <testsuite name="${xml(file)}" tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}">`);
    for (const r of results) {
      const name = r.type ? `${describeResult(r)} (document ${r.document}, line ${r.line})` : `document ${r.document} (line ${r.line})`;
      const errors = r.violations.filter((v) => v.severity === 'error');
      const warnings = r.violations.filter((v) => v.severity === 'warning');
      if (r.skipped !== undefined) {
        out.push(`    <testcase classname="${xml(file)}" name="${xml(name)}">`, `      <skipped message="${xml(r.skipped)}"/>`, '    </testcase>');
        continue;
      }
      if (errors.length === 0 && warnings.length === 0) {
        out.push(`    <testcase classname="${xml(file)}" name="${xml(name)}"/>`);
        continue;
      }
      out.push(`    <testcase classname="${xml(file)}" name="${xml(name)}">`);
      if (errors.length) {
        const body = errors.map((v) => `${file}:${v.line}:${v.column}: ${describeViolation(v)}`).join('\n');
        out.push(`      <failure message="${xml(plural(errors.length, 'violation'))}" type="invalid">${xml(body)}</failure>`);
      }
      if (warnings.length) {
        const body = warnings.map((v) => `warning: ${file}:${v.line}:${v.column}: ${describeViolation(v)}`).join('\n');
        out.push(`      <system-out>${xml(body)}</system-out>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
