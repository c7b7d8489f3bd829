/**
 * The TCP backend of the access log (Kuma's MeshAccessLog `Tcp`): newline-delimited lines to a
 * collector at `host:port` (Logstash's tcp input, Vector's socket source, `nc -lk`). The
 * connection is opened on the first line, and reopened with exponential backoff (100 ms to 5 s)
 * when it fails or closes. Lines wait in a bounded buffer while it is down, and in the socket's
 * write buffer while the collector reads slowly; beyond the bound they are dropped and counted
 * (`onDrop`), never allowed to grow the proxy's memory.
 */
import net from 'node:net';

/** Bytes of lines held for the collector (while disconnected, or unread by it); default 1 MiB. */
export const TCP_LOG_BUFFER_BYTES = 1024 * 1024;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** `host:port` or `[v6]:port`. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:[\]]+):(\d+)$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}

export class TcpLogSender {
  private sock: net.Socket | undefined;
  private connected = false;
  private queue: string[] = [];
  private queued = 0;
  private backoff = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly address: string,
    private readonly onDrop: () => void,
    private readonly maxBytes = TCP_LOG_BUFFER_BYTES,
  ) {
    const hp = parseHostPort(address);
    if (!hp) throw new Error(`access log TCP address ${address} is not host:port`);
    this.host = hp.host;
    this.port = hp.port;
  }

  /** Queues one line (a newline is added). */
  send(line: string): void {
    if (this.closed) return;
    const data = `${line}\n`;
    const sock = this.sock;
    if (this.connected && sock) {
      if (sock.writableLength + data.length > this.maxBytes) return this.onDrop();
      sock.write(data);
      return;
    }
    if (this.queued + data.length > this.maxBytes) return this.onDrop();
    this.queue.push(data);
    this.queued += data.length;
    if (!this.sock && !this.timer) this.connect();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.closed) return;
    const sock = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.sock = sock;
    // The log connection must not keep a draining process alive.
    sock.unref();
    sock.on('connect', () => {
      this.connected = true;
      this.backoff = 0;
      const data = this.queue.join('');
      this.queue = [];
      this.queued = 0;
      if (data) sock.write(data);
    });
    // The collector never sends; reading keeps a close from it visible ('end').
    sock.on('data', () => undefined);
    sock.on('end', () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.sock !== sock) return;
      this.sock = undefined;
      this.connected = false;
      if (this.closed) return;
      // Reconnect only when there is something to send; the next line reconnects otherwise.
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff ? this.backoff * 2 : BACKOFF_MIN_MS);
      this.timer = setTimeout(() => (this.queue.length ? this.connect() : (this.timer = undefined)), this.backoff);
      this.timer.unref();
    });
  }

  /** Sends what is connected-and-buffered, then closes; queued lines of a down collector are dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (let i = 0; i < this.queue.length; i++) this.onDrop();
    this.queue = [];
    this.queued = 0;
    if (this.connected) this.sock?.end();
    else this.sock?.destroy();
  }
}
