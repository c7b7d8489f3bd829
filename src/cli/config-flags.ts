/** The flag of `zonectl config ...` commands: only where the config file is. */
import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';

export const configFileFlag = {
  'config-file': Flags.string({ summary: 'Path to the config file (default ~/.zonectl/config).', env: 'ZONECTL_CONFIG' }),
};

/** `k=v` pairs of --headers / --auth-conf. */
export function parsePairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    for (const pair of v.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid --${flag} ${JSON.stringify(pair)}: expected key=value`);
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}
