/**
 * Ages as kumactl prints them in AGE / LAST ... AGO columns: one unit, truncated (`45s`, `3m`,
 * `2h`, `5d`, `1y`), `never` when the time is unset. Durations saturate at Go's maximum
 * time.Duration (~292 years) so a zero timestamp (`0001-01-01T00:00:00Z`) prints `292y` as in
 * kumactl's goldens.
 */
import type { Clock } from '../core/clock.js';

/** Go's math.MaxInt64 nanoseconds, in milliseconds. */
const MAX_GO_DURATION_MS = 9_223_372_036_854;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

export function formatAge(ms: number): string {
  const d = Math.min(Math.max(ms, 0), MAX_GO_DURATION_MS);
  if (d < MINUTE) return `${Math.floor(d / SECOND)}s`;
  if (d < HOUR) return `${Math.floor(d / MINUTE)}m`;
  if (d < DAY) return `${Math.floor(d / HOUR)}h`;
  if (d < YEAR) return `${Math.floor(d / DAY)}d`;
  return `${Math.floor(d / YEAR)}y`;
}

/** Age of an RFC 3339 time relative to the clock; `never` for unset or unparsable times. */
export function ago(time: string | undefined | null, clock: Clock): string {
  if (!time) return 'never';
  const t = Date.parse(time);
  if (Number.isNaN(t)) return 'never';
  return formatAge(clock.now().getTime() - t);
}
