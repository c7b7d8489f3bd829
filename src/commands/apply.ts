import { Flags } from '@oclif/core';
import { readInputs } from '../cli/apply/inputs.js';
import { describeApplied, executeApply, planApply, rejectedSet, summarize, type ApplyResult } from '../cli/apply/run.js';
import { parseVars } from '../cli/apply/vars.js';
import { clientFromFlags, cpFlags, parseTimeout } from '../cli/cp-flags.js';
import { DataCommand, outputFlag } from '../cli/data-command.js';
import { renderResourceYaml, renderYaml } from '../cli/printers.js';
import { progressBar } from '../cli/progress.js';

export default class Apply extends DataCommand {
  static override summary = 'Create or update resources from files, directories, URLs or stdin.';
  static override description =
    'Every document is validated first; when any is invalid nothing is sent and every problem is listed with its file and line (exit 3). Meshes are written before the resources that live in them.';
  static override examples = [
    '$ <%= config.bin %> apply -f mesh.yaml',
    '$ <%= config.bin %> apply -f manifests/ -f https://example.com/zoneegress.yaml',
    '$ cat zoneegress.yaml | <%= config.bin %> apply -f -',
    '$ <%= config.bin %> apply -f zoneegress.yaml --var address=10.0.0.1 --var zone.name=zone-1',
    '$ <%= config.bin %> apply -f manifests/ --dry-run',
    '$ <%= config.bin %> apply -f manifests/ --strict',
    '$ <%= config.bin %> apply -f manifests/ -o json',
  ];

  static override flags = {
    ...cpFlags,
    ...outputFlag,
    file: Flags.string({ char: 'f', summary: 'File, directory, http(s) URL, or - for stdin (repeatable).', required: true, multiple: true }),
    var: Flags.string({ char: 'v', summary: 'Template variable for {{ key }} (key=value; a,b lists: a=1,b=2; dotted keys).', multiple: true }),
    'dry-run': Flags.boolean({ summary: 'Validate and print the resolved resources; send nothing.', default: false }),
    strict: Flags.boolean({ summary: 'Refuse fields the schemas do not define (the control plane would drop them with a warning); nothing is sent.', default: false }),
    concurrency: Flags.integer({ summary: 'Writes in flight at once.', default: 8, min: 1, max: 64 }),
  };

  async run(): Promise<ApplyResult> {
    const { flags } = await this.parse(Apply);
    const vars = flags.var ? parseVars(flags.var) : undefined;
    const inputs = await readInputs(flags.file, { timeoutMs: parseTimeout(flags['api-timeout']) });
    const plan = planApply(inputs, vars, { strict: flags.strict });
    for (const w of plan.warnings) this.logToStderr(`warning: ${w}`);
    if (plan.problems.length > 0) {
      for (const p of plan.problems) this.logToStderr(p);
      throw rejectedSet(plan.problems);
    }
    const table = (flags.output ?? 'table') === 'table' && !this.jsonEnabled();
    if (flags['dry-run']) {
      const result: ApplyResult = { items: plan.resources.map((r) => ({ type: r.type, name: r.name, ...(r.mesh ? { mesh: r.mesh } : {}), action: 'dry-run' })), resources: plan.resources };
      this.printData(flags.output, result, { table: () => `${plan.resources.map((r) => renderResourceYaml(r).trimEnd()).join('\n---\n')}\n`, yaml: () => renderYaml(result) });
      return result;
    }
    const { client } = clientFromFlags(flags, { maxSockets: flags.concurrency });
    const progress = plan.resources.length > 1 && table ? progressBar() : progressBar({ isTTY: false } as NodeJS.WriteStream);
    try {
      const items = await executeApply(client, plan.resources, {
        concurrency: flags.concurrency,
        onApplied: (item) => {
          progress.done();
          if (table) this.log(describeApplied(item));
        },
        onWarning: (w) => this.logToStderr(`warning: ${w}`),
        onProgress: (done, total) => progress.update(done, total),
      });
      const { counts, line } = summarize(items);
      const result: ApplyResult = { items, summary: counts };
      this.printData(flags.output, result, { table: () => `${line}\n`, yaml: () => renderYaml(result) });
      return result;
    } finally {
      progress.done();
      client.close();
    }
  }
}
