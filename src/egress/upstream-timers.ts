/**
 * Deadlines toward upstreams (zone ingresses and external services), kept without a timer per
 * connection (the same reasoning as HelloDeadlines in data-path.ts: at thousands of connections
 * per second a Timeout per socket, refreshed on every read and write, is measurable):
 * - connect: an endpoint that drops SYNs is given up after `connectTimeoutMs`, and the data path
 *   fails over to the next endpoint instead of waiting for the kernel's ~130 s;
 * - idle: a relayed connection with no byte either way for `idleTimeoutMs` is closed (Envoy's
 *   tcp_proxy idle_timeout, 1 h by default there too); a client or upstream that stops reading
 *   stalls the relay (backpressure), so it is idle as well and is closed in time;
 * - TCP keepalive on both sockets of a relayed connection, when `tcpKeepaliveMs` > 0.
 * One sweep per kind walks the sockets in it; a deadline fires at most one tick (1/10) late.
 */
import type { UpstreamSettings } from '../resources/egress-config.js';
import { SlotSet } from './slot-set.js';

export type ResolvedUpstreamSettings = Required<UpstreamSettings>;

/** `dp run`'s defaults; a snapshot's (or routes file's) `upstream` section overrides them. */
export const UPSTREAM_DEFAULTS: ResolvedUpstreamSettings = { connectTimeoutMs: 5_000, idleTimeoutMs: 3_600_000, tcpKeepaliveMs: 0 };

const kSweepSlot: unique symbol = Symbol('zonectl.upstream.sweepSlot');
type Swept = { [kSweepSlot]: number };

class SweptSet<T extends Swept> extends SlotSet<T> {
  protected slot(x: T): number {
    return x[kSweepSlot];
  }
  protected setSlot(x: T, i: number): void {
    x[kSweepSlot] = i;
  }
}

/** A set of items visited every tick while it is not empty; `visit` returns true to drop one. */
class Sweep<T extends Swept> {
  private readonly items = new SweptSet<T>();
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly tickMs: () => number,
    private readonly visit: (item: T, now: number) => boolean,
  ) {}
  add(item: T): void {
    this.items.add(item);
    if (!this.timer) this.arm();
  }
  delete(item: T): void {
    this.items.delete(item);
  }
  get size(): number {
    return this.items.size;
  }
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items.clear();
  }
  private arm(): void {
    this.timer = setTimeout(() => this.sweep(), this.tickMs());
    this.timer.unref();
  }
  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    this.items.forEach((item) => this.visit(item, now) && this.items.delete(item));
    if (this.items.size > 0) this.arm();
  }
}

/**
 * What the sweeps use of an upstream: a net.Socket, or handle-relay.ts's connection (which stands
 * for both of its sides: its destroy() closes both, its setKeepAlive() sets both).
 */
export interface TimedSocket {
  readonly destroyed: boolean;
  destroy(err?: Error): void;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  setKeepAlive(enable: boolean, delayMs: number): unknown;
}

export interface Connecting extends Swept {
  sock: TimedSocket;
  deadline: number;
  timeoutMs: number;
}

export interface Relayed extends Swept {
  up: TimedSocket;
  client: TimedSocket | undefined;
  /** bytesRead + bytesWritten of the upstream at the last change seen. */
  bytes: number;
  since: number;
}

const tick = (ms: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(ms / 10)));
/**
 * The timers' entries, kept on the upstream socket. A class whose objects are timed declares both
 * (`[kConnecting] = undefined`) so that being timed does not change its shape (handle-relay.ts).
 */
export const kConnecting: unique symbol = Symbol('zonectl.upstream.connecting');
export const kRelayed: unique symbol = Symbol('zonectl.upstream.relayed');
export type TimerSlots = { [kConnecting]?: Connecting; [kRelayed]?: Relayed };
type Tagged = TimerSlots;

export class UpstreamTimers {
  private readonly connects = new Sweep<Connecting>(
    () => tick(this.settings().connectTimeoutMs, 10, 500),
    (c, now) => {
      if (c.sock.destroyed) return true;
      if (now < c.deadline) return false;
      // Emitted as the socket's 'error': the data path counts it and fails over like a refusal.
      c.sock.destroy(Object.assign(new Error(`connect timed out after ${c.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      return true;
    },
  );
  private readonly idle = new Sweep<Relayed>(
    () => tick(this.settings().idleTimeoutMs, 10, 30_000),
    (r, now) => {
      if (r.up.destroyed && (r.client?.destroyed ?? true)) return true;
      const limit = this.settings().idleTimeoutMs;
      if (limit <= 0) return true;
      const bytes = r.up.bytesRead + r.up.bytesWritten;
      if (bytes !== r.bytes) {
        r.bytes = bytes;
        r.since = now;
        return false;
      }
      if (now - r.since < limit) return false;
      r.up.destroy();
      r.client?.destroy();
      return true;
    },
  );

  constructor(readonly settings: () => ResolvedUpstreamSettings) {}

  /**
   * Call right after net.connect()/tls.connect(): the connect deadline starts now (`now`, when the
   * caller has read performance.now() already).
   */
  connecting(sock: TimedSocket, now = performance.now()): void {
    const timeoutMs = this.settings().connectTimeoutMs;
    if (timeoutMs <= 0) return;
    const c: Connecting = { sock, deadline: now + timeoutMs, timeoutMs, [kSweepSlot]: -1 };
    (sock as Tagged)[kConnecting] = c;
    this.connects.add(c);
  }

  /**
   * Call once the upstream is connected (and, for TLS, handshaken) and about to be relayed;
   * `client` is left out when `up` stands for the whole connection.
   */
  relayed(up: TimedSocket, client?: TimedSocket, now = performance.now()): void {
    const c = (up as Tagged)[kConnecting];
    if (c) {
      this.connects.delete(c);
      (up as Tagged)[kConnecting] = undefined;
    }
    const s = this.settings();
    if (s.tcpKeepaliveMs > 0) {
      up.setKeepAlive(true, s.tcpKeepaliveMs);
      client?.setKeepAlive(true, s.tcpKeepaliveMs);
    }
    if (s.idleTimeoutMs > 0) {
      const r: Relayed = { up, client, bytes: up.bytesRead + up.bytesWritten, since: now, [kSweepSlot]: -1 };
      (up as Tagged)[kRelayed] = r;
      this.idle.add(r);
    }
  }

  /**
   * Call when the relay or the connect attempt is over. Without it a closed connection stays in
   * the idle sweep until its next tick (up to 30 s with the 1 h default): at thousands of
   * connections per second that kept ~2.8 KB per closed connection alive (hundreds of MiB), and
   * promoting and collecting it showed up as GC pauses in the new-connection p99.
   */
  released(up: TimedSocket): void {
    const t = up as Tagged;
    const c = t[kConnecting];
    if (c) {
      this.connects.delete(c);
      t[kConnecting] = undefined;
    }
    const r = t[kRelayed];
    if (r) {
      this.idle.delete(r);
      t[kRelayed] = undefined;
    }
  }

  /** Relayed connections under idle watch and upstreams still connecting (for tests and stats). */
  counts(): { connecting: number; relayed: number } {
    return { connecting: this.connects.size, relayed: this.idle.size };
  }

  stop(): void {
    this.connects.stop();
    this.idle.stop();
  }
}

/** Problems with a snapshot's `upstream` section, as `field: message` (empty when it is fine). */
export function upstreamSettingsProblems(u: unknown): string[] {
  if (u === undefined) return [];
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return ['upstream: must be an object'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(u)) {
    if (!(k in UPSTREAM_DEFAULTS)) out.push(`upstream.${k}: is not a known setting (connectTimeoutMs, idleTimeoutMs, tcpKeepaliveMs)`);
    else if (!Number.isInteger(v) || (v as number) < 0) out.push(`upstream.${k}: must be an integer number of milliseconds >= 0 (0 = off)`);
  }
  return out;
}
