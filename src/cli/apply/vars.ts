/**
 * `--var` values as kumactl parses them (pflag's StringToString): `k=v` is one pair even when v
 * holds commas; text with several `=` is a comma-separated list of pairs (`a=1,b=2`). Keys may
 * contain dots: `{{ a.b }}` looks up `--var a.b=...`.
 */
import { UsageError } from '../../core/errors.js';

export function parseVars(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const pairs = (value.match(/=/g) ?? []).length > 1 ? splitCsv(value) : [value.replace(/^"|"$/g, '')];
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid --var ${JSON.stringify(pair)}: expected key=value, e.g. --var address=10.0.0.1`);
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}

/** One CSV record (Go's encoding/csv): commas split, double quotes group. */
function splitCsv(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
