import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { BaseCommand } from '../cli/base.js';
import { describeResult, summaryLine } from '../cli/validate-report.js';
import { runValidate } from '../cli/validate-run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default class Demo extends BaseCommand {
  static override summary = 'Run the end-to-end demo on embedded defaults (what `npm start` runs).';

  async run(): Promise<void> {
    const examples = join(ROOT, 'examples');
    this.log(`zonectl demo: validating the bundled examples in ${relative(process.cwd(), examples) || '.'}/`);
    const outcome = runValidate(
      { paths: [examples], output: 'text', vars: [], strict: true, failOnWarn: false },
      { readStdin: () => readFileSync(0, 'utf8') },
    );
    for (const r of outcome.report.results) {
      const mark = r.valid ? 'ok  ' : 'FAIL';
      this.log(`  ${mark} ${relative(ROOT, r.file)}:${r.line}  ${describeResult(r)}`);
      for (const v of r.violations) this.log(`         ${v.line}:${v.column} ${v.severity}: ${v.field ? `${v.field}: ` : ''}${v.message}`);
    }
    this.log(summaryLine(outcome.report));
    this.log('Validate your own manifests with: zonectl validate PATH... (see zonectl validate --help)');
    process.exitCode = outcome.exitCode;
  }
}
