/**
 * The text rendering: compiler-style (`file:line:col: severity: field: message`), so editors and
 * terminals link each problem to its line; only problems and a summary are printed.
 */
import { describeResult, describeViolation, summaryLine, type ValidateReport } from './report.js';

export function renderText(report: ValidateReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    if (r.skipped !== undefined) lines.push(`${r.file}:${r.line}:1: note: skipped: ${r.skipped} (--strict-kinds rejects it) [${describeResult(r)}]`);
    for (const v of r.violations) lines.push(`${r.file}:${v.line}:${v.column}: ${v.severity}: ${describeViolation(v)} [${describeResult(r)}]`);
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}
