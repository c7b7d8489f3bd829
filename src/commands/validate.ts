import { readFileSync } from 'node:fs';
import { Args, Flags, type Interfaces } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { toValidateArgs, VALIDATE_FLAGS, type FlagSpec } from '../cli/validate/flags.js';
import { runValidate } from '../cli/validate/run.js';

/** oclif flags from the shared table (the fast path parses argv with the same table). */
function oclifFlags(specs: readonly FlagSpec[]): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {};
  for (const s of specs) {
    const common = { summary: s.summary, ...(s.char ? { char: s.char as 'o' } : {}) };
    if (s.kind === 'boolean') out[s.name] = Flags.boolean({ ...common, allowNo: false });
    else if (s.multiple) out[s.name] = Flags.string({ ...common, multiple: true, multipleNonGreedy: true, helpValue: s.helpValue });
    else out[s.name] = Flags.string({ ...common, options: s.options ? [...s.options] : undefined, default: s.default, helpValue: s.helpValue });
  }
  return out;
}

export default class Validate extends BaseCommand {
  static override summary = 'Validate resources offline: JSON Schemas and Kuma\'s rules, with file, line and field of every problem.';
  static override description = `Checks Mesh, ZoneEgress, ZoneIngress, ExternalService and GlobalSecret documents (YAML, multi-document YAML or JSON) without a control plane.
Both of Kuma's forms are accepted: Universal (type, name, fields at the top) and Kubernetes (apiVersion kuma.io/v1alpha1, kind, metadata, spec). Kubernetes objects of other API groups (a Deployment, a ConfigMap) are skipped with a note; --strict-kinds rejects them.
Directories are searched recursively for .yaml, .yml and .json files; - reads standard input.
Exit codes: 0 all valid (warnings allowed unless --fail-on-warn), 3 any invalid, 2 usage error.`;

  static override examples = [
    '$ <%= config.bin %> <%= command.id %> examples/',
    '$ <%= config.bin %> <%= command.id %> -o junit manifests/ > report.xml',
    '$ cat zoneegress.yaml | <%= config.bin %> <%= command.id %> --var address=10.0.0.5 -',
    '$ <%= config.bin %> <%= command.id %> --strict -o github manifests/',
    '$ <%= config.bin %> <%= command.id %> --strict-kinds k8s/',
  ];

  static override strict = false;
  static override args = {
    path: Args.string({ description: 'Files or directories to validate, or - for standard input.' }),
  };

  static override flags = oclifFlags(VALIDATE_FLAGS);

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Validate);
    const outcome = runValidate(toValidateArgs(flags, argv as string[]), { readStdin: () => readFileSync(0, 'utf8') });
    process.stdout.write(outcome.output);
    // exitCode, not this.exit(): a large report on a pipe must be flushed first.
    process.exitCode = outcome.exitCode;
  }
}
