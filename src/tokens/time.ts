/** Time helpers for token messages and `inspect zone-token`: RFC 3339 seconds and short spans. */

/** `2019-07-17T18:08:41Z` (seconds precision, like Kuma's CLI output). */
export function isoSeconds(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A short span with the two largest units: `29d23h`, `3h12m`, `12m5s`, `45s`. */
export function shortSpan(ms: number): string {
  let s = Math.floor(Math.abs(ms) / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${name}`);
    if (parts.length === 2) break;
  }
  if (parts.length === 0) return '0s';
  // `3h0m` reads worse than `3h`.
  return parts.length === 2 && parts[1].startsWith('0') ? parts[0] : parts.join('');
}
