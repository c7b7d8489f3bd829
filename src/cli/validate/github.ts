/**
 * GitHub Actions workflow commands: one `::error file=,line=,col=::` (or `::warning`) per problem,
 * which GitHub shows on the pull request's diff, then the summary as a plain log line.
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 */
import { describeResult, describeViolation, summaryLine, type ValidateReport } from './report.js';

// Escaping rules of the runner's command parser: data escapes %, CR, LF; properties also : and ,.
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderGithub(report: ValidateReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    for (const v of r.violations) {
      const props = `file=${escapeProperty(r.file)},line=${v.line},col=${v.column},title=${escapeProperty(`zonectl validate: ${describeResult(r)}`)}`;
      lines.push(`::${v.severity} ${props}::${escapeData(describeViolation(v))}`);
    }
  }
  // A run that found nothing fails as an annotation too, so the job's summary shows why.
  lines.push(report.summary.documents === 0 && !report.valid ? `::error::${escapeData(summaryLine(report))}` : summaryLine(report));
  return `${lines.join('\n')}\n`;
}
