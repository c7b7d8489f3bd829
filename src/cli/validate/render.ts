/** A validate report in the format of `-o`. */
import type { OutputFormat } from './flags.js';
import { renderGithub } from './github.js';
import { renderJunit } from './junit.js';
import type { ValidateReport } from './report.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export function renderReport(report: ValidateReport, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'junit':
      return renderJunit(report);
    case 'sarif':
      return renderSarif(report);
    case 'github':
      return renderGithub(report);
    default:
      return renderText(report);
  }
}
