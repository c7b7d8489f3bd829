/**
 * Line output shared by several processes (logs, access logs): every line reaches its destination
 * whole, never interleaved with another process's line. In one process a `LineSink` writes straight
 * to its destination; in an egress worker (`dp run --workers N`) it batches complete lines and
 * sends them to the primary over the IPC channel, and the primary, the only writer of each
 * destination, writes each batch with one write. A plain `O_APPEND` write is atomic only up to
 * PIPE_BUF (4 KiB) on a pipe, so per-worker writers could split a long line; the primary cannot.
 *
 * Destinations are names: `stdout`, `stderr`, or a file path (opened for append).
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export interface LineSink {
  /** Queues one line; a missing trailing newline is added. */
  write(line: string): void;
}

/** Calls `reopen` on every SIGUSR1 (logrotate's postrotate signal) until the returned function is called. */
export function reopenOnSigusr1(reopen: () => void): () => void {
  const on = () => reopen();
  process.on('SIGUSR1', on);
  return () => void process.removeListener('SIGUSR1', on);
}

/** Opens `LineSink`s by destination name (see the module comment). */
export type LineSinks = (destination: string) => LineSink;

/** `{ t: 'lines' }` message from a worker to the primary: complete lines for one destination. */
export interface LinesMessage {
  t: 'lines';
  destination: string;
  data: string;
}

/**
 * Queued lines go out every FLUSH_MS, or at once past FLUSH_BYTES. Measured on one pinned core
 * (the bench's connrate with a file access log): a write per event-loop turn, about one per
 * connection at thousands of connections per second, doubled the egress's CPU per connection
 * (a thread-pool round trip each); a write every 50 ms costs nothing measurable. Envoy buffers its
 * access logs too (flushed every second by default).
 */
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

const withNewline = (line: string) => (line.endsWith('\n') ? line : `${line}\n`);

/** Complete lines queued per destination; `due` is called FLUSH_MS after the first, or at FLUSH_BYTES. */
class LineBatches {
  private readonly pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly due: () => void) {}

  add(destination: string, data: string): void {
    const now = (this.pending.get(destination) ?? '') + data;
    this.pending.set(destination, now);
    if (now.length >= FLUSH_BYTES) this.due();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.due(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Everything queued, by destination; the queue is empty afterwards. */
  take(): Array<[string, string]> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const out = [...this.pending];
    this.pending.clear();
    return out;
  }
}

/** Writes chunks of complete lines to destinations of this process, one stream per destination. */
export class LineWriters {
  private readonly files = new Map<string, WriteStream>();
  /** Lines of sinks() not written yet. */
  private readonly batches = new LineBatches(() => this.flush());

  /** `data` is one or more complete lines; it goes out in one write. */
  write(destination: string, data: string): void {
    if (destination === 'stdout') process.stdout.write(data);
    else if (destination === 'stderr') process.stderr.write(data);
    else {
      let f = this.files.get(destination);
      if (!f) {
        // 0640: access logs carry client addresses and identities; the group may read them (log shippers).
        f = createWriteStream(destination, { flags: 'a', mode: 0o640 });
        // A log file that cannot be written must not take the proxy down; say it once.
        f.on('error', (err) => process.stderr.write(`cannot write ${destination}: ${err.message}\n`));
        this.files.set(destination, f);
      }
      f.write(data);
    }
  }

  /**
   * Closes the files; the next line opens each path again (logrotate renamed the file and sent
   * SIGUSR1: lines already queued go to the renamed file, later ones to a new one).
   */
  reopen(): void {
    this.flush();
    for (const f of this.files.values()) f.end();
    this.files.clear();
  }

  /**
   * The sinks of this process. Lines are gathered per destination and written every FLUSH_MS (or
   * at FLUSH_BYTES): at thousands of connections per second, a write per line or per event-loop
   * turn is most of an access log's cost.
   */
  sinks(): LineSinks {
    return (destination) => ({ write: (line) => this.batches.add(destination, withNewline(line)) });
  }

  private flush(): void {
    for (const [destination, data] of this.batches.take()) this.write(destination, data);
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((r) => f.end(() => r()))));
    this.files.clear();
  }
}

/**
 * The sinks of a worker: lines are gathered per destination and sent to the primary every
 * FLUSH_MS (or at FLUSH_BYTES): one IPC message per destination then, not one per line or turn.
 */
export class IpcLineSinks {
  private readonly batches = new LineBatches(() => this.flush());

  constructor(private readonly send: (m: LinesMessage, done?: () => void) => void) {}

  sinks(): LineSinks {
    return (destination) => ({ write: (line) => this.batches.add(destination, withNewline(line)) });
  }

  /** A stream-like object for pino (which writes one whole line per call). */
  stream(destination: string): { write(s: string): boolean } {
    return {
      write: (s: string) => {
        this.batches.add(destination, s);
        return true;
      },
    };
  }

  /** Sends what is queued; `done` runs once the last message is handed to the channel. */
  flush(done?: () => void): void {
    const batches = this.batches.take();
    if (batches.length === 0) return done?.();
    batches.forEach(([destination, data], i) => this.send({ t: 'lines', destination, data }, i === batches.length - 1 ? done : undefined));
  }
}
