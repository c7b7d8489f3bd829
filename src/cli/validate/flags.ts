/**
 * The flags of `zonectl validate`, as plain data shared by the oclif command (which turns them
 * into oclif flags) and the fast path (which parses argv with them before oclif loads). Keeping
 * one table is what guarantees that both accept exactly the same command line.
 */
export const OUTPUT_FORMATS = ['text', 'json', 'junit', 'sarif', 'github'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface FlagSpec {
  name: string;
  char?: string;
  kind: 'boolean' | 'string';
  multiple?: boolean;
  options?: readonly string[];
  default?: string;
  summary: string;
  helpValue?: string;
}

export const VALIDATE_FLAGS: readonly FlagSpec[] = [
  { name: 'output', char: 'o', kind: 'string', options: OUTPUT_FORMATS, default: 'text', summary: 'Output format.' },
  { name: 'var', kind: 'string', multiple: true, helpValue: 'KEY=VALUE', summary: 'Fill {{ KEY }} templates before validating (repeatable), as `apply --var` does.' },
  { name: 'strict', kind: 'boolean', summary: 'Reject fields the schemas do not define.' },
  { name: 'fail-on-warn', kind: 'boolean', summary: 'Exit 3 on warnings too.' },
  { name: 'allow-empty', kind: 'boolean', summary: 'Succeed when no document is found (by default that is a failure, exit 3).' },
  { name: 'json', kind: 'boolean', summary: 'Same as -o json.' },
  { name: 'strict-kinds', kind: 'boolean', summary: 'Reject Kubernetes objects zonectl does not validate (other API groups are skipped by default).' },
];

export interface ValidateArgs {
  paths: string[];
  output: OutputFormat;
  vars: string[];
  strict: boolean;
  failOnWarn: boolean;
  allowEmpty: boolean;
  strictKinds: boolean;
}

/** Maps parsed flag values (by flag name) and positional args to the runner's input. */
export function toValidateArgs(flags: Record<string, unknown>, paths: string[]): ValidateArgs {
  return {
    paths,
    output: flags.json === true ? 'json' : ((flags.output as OutputFormat | undefined) ?? 'text'),
    vars: (flags.var as string[] | undefined) ?? [],
    strict: flags.strict === true,
    failOnWarn: flags['fail-on-warn'] === true,
    allowEmpty: flags['allow-empty'] === true,
    strictKinds: flags['strict-kinds'] === true,
  };
}

/**
 * Parses argv the way oclif does for these flags (`--output json`, `--output=json`, `-o json`,
 * `-ojson`, repeated `--var`, `--`, `-` as a path). Returns undefined for anything it is not
 * sure about (unknown flag, bad option value, missing value, `--no-*`): the caller then lets
 * oclif run, so usage errors read exactly as oclif words them.
 */
export function parseValidateArgv(argv: string[], specs: readonly FlagSpec[] = VALIDATE_FLAGS): ValidateArgs | undefined {
  const flags: Record<string, unknown> = {};
  const paths: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byChar = new Map(specs.filter((s) => s.char).map((s) => [s.char as string, s]));
  let onlyArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyArgs || a === '-' || !a.startsWith('-')) {
      paths.push(a);
      continue;
    }
    if (a === '--') {
      onlyArgs = true;
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      spec = byName.get(eq < 0 ? a.slice(2) : a.slice(2, eq));
      if (eq >= 0) inline = a.slice(eq + 1);
    } else {
      spec = byChar.get(a[1]);
      if (a.length > 2) inline = a.slice(2).replace(/^=/, '');
    }
    if (!spec) return undefined;
    if (spec.kind === 'boolean') {
      if (inline !== undefined) return undefined;
      flags[spec.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('-') && value !== '-')) return undefined;
      i++;
    }
    if (spec.options && !spec.options.includes(value)) return undefined;
    if (spec.multiple) flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), value];
    else if (flags[spec.name] !== undefined) return undefined;
    else flags[spec.name] = value;
  }
  return toValidateArgs(flags, paths);
}
