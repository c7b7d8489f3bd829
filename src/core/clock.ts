/** Injected time source, so golden outputs and token tests can fix the clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(iso: string): Clock {
  const t = new Date(iso);
  return { now: () => new Date(t.getTime()) };
}

/**
 * `ZONECTL_FIXED_CLOCK=2019-07-17T18:08:41Z` pins the CLI's clock; tests use it for golden
 * files of human-facing output (AGE columns, token expiry lines).
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  return env.ZONECTL_FIXED_CLOCK ? fixedClock(env.ZONECTL_FIXED_CLOCK) : systemClock;
}
