/** Polling for a condition that a real process or server reaches in its own time. */

/** Polls fn every `everyMs` until it returns a truthy value (resolved with it) or timeoutMs passes. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A running process's output as the waiters see it: a new chunk (or the exit) calls every waiter once. */
export interface WatchedOutput {
  stdout(): string;
  stderr(): string;
  exited(): boolean;
  waiters: (() => void)[];
}

/**
 * The first match of `re` in the stdout of `what` (a command line, for messages); rejects when
 * the process exits first or after timeoutMs, with the output's tail.
 */
export function waitForOutput(o: WatchedOutput, what: string, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const tail = () => `\nstdout: ${o.stdout().slice(-2000)}\nstderr: ${o.stderr().slice(-2000)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} from ${what}${tail()}`)), timeoutMs);
    const check = () => {
      const m = o.stdout().match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      } else if (o.exited()) {
        clearTimeout(timer);
        reject(new Error(`${what} exited before printing ${re}${tail()}`));
      } else o.waiters.push(check);
    };
    check();
  });
}
