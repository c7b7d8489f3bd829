/**
 * `--watch` of `get` and `inspect`: the control plane's REST API has no watch stream (Kuma's
 * neither), so the command polls at an interval and prints again when what it shows changed.
 * On a terminal the screen is redrawn in place (like watch(1)); on a pipe each changed rendering is
 * appended, separated by a blank line (`-o json`: one JSON document per line). SIGINT/SIGTERM end
 * the loop, and the command exits 0: stopping a watch is what it is for.
 */
import { UsageError } from '../core/errors.js';
import { parseGoDuration } from '../core/duration.js';

export interface WatchOptions<T> {
  intervalMs: number;
  fetch(): Promise<T>;
  /** The text to print for a value (ends with a newline). */
  render(value: T): string;
  /** What identifies a change; the default is the JSON of the value. */
  key?(value: T): string;
  out?: NodeJS.WriteStream;
  /** Resolves to stop the loop (tests); SIGINT and SIGTERM always stop it. */
  until?: Promise<void>;
}

export function parseInterval(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 100) throw new UsageError(`invalid --interval ${JSON.stringify(text)}: expected a duration of at least 100ms, like 2s`);
  return ms;
}

export async function watchLoop<T>(opts: WatchOptions<T>): Promise<void> {
  const out = opts.out ?? process.stdout;
  const key = opts.key ?? ((v: T) => JSON.stringify(v));
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void opts.until?.then(stop);
  let last: string | undefined;
  let printed = 0;
  try {
    while (!stopped) {
      const value = await opts.fetch();
      const k = key(value);
      if (k !== last || out.isTTY) {
        const text = opts.render(value);
        if (out.isTTY) out.write(`\x1b[H\x1b[2J${text}`);
        else out.write(printed > 0 && !text.startsWith('{') ? `\n${text}` : text);
        printed++;
        last = k;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
