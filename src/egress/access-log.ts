/**
 * Per-connection access logs of the egress: one line per finished connection, and one per
 * rejected connection (not TLS, no or unknown SNI, bad client certificate, denied, ...). Rejection
 * lines are rate-limited per reason (a token bucket), so that a flood cannot fill the disk; what is
 * dropped is counted (`zonectl_egress_access_log_dropped_total`) and reported once a second in a
 * summary line on the same backends.
 *
 * Where lines go: the snapshot's accessLog section (MeshAccessLog, compiled by the control plane,
 * or a routes file's) plus the `dp run --access-log` backends, which apply to every route and to
 * unrouted connections. stdout and files are written through the process's line sinks (lines.ts:
 * whole lines, through the primary under --workers, files reopened on SIGUSR1); TCP through
 * tcp-log.ts.
 *
 * Cost: with no backend at all, the data path tests one boolean (`on`) per event. With backends,
 * the accepted socket gets a small state object (start time, peer address), and a line is built
 * only for a connection whose route has backends, rendered once per distinct format.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import type { AccessLogBackend, EgressAccessLog, TerminatingRoute } from '../resources/egress-config.js';
import { compileFormat, isoTime, type AccessRecord, type Render } from './access-log-format.js';
import { revokedBy } from './enforce.js';
import type { LineSinks } from './lines.js';
import type { EgressMetrics } from './metrics.js';
import { sanUris, spiffeOf, type Decision } from './permissions.js';
import { parseHostPort, TcpLogSender } from './tcp-log.js';

/** Rejection lines per second and reason, and the burst allowed above it. */
export interface RejectionLimit {
  perSecond: number;
  burst: number;
}
export const REJECTION_LIMIT: RejectionLimit = { perSecond: 100, burst: 100 };
/** How often a summary line reports the rejection lines that were dropped. */
const SUMMARY_MS = 1000;

interface Backend {
  /** The backend's name (metrics label). */
  name: string;
  render: Render;
  /** true: a Plain format (the drop summary is then a text line, not JSON). */
  plain: boolean;
  write(line: string): void;
}

/** What is known of one logged connection; kept on the accepted socket. */
export class ConnState {
  identity: string | null = null;
  upstream: string | null = null;
  tls: string | null = null;
  decision: Decision | undefined = undefined;
  constructor(
    readonly start: number,
    readonly client: string,
  ) {}
}

/**
 * Where a logged connection keeps its ConnState. handle-relay.ts's connection declares it as a
 * field, so that being logged does not change its shape (a map transition per connection).
 */
export const kAccessLogState: unique symbol = Symbol('zonectl.accessLog');
type Tagged = { [kAccessLogState]?: ConnState; _parent?: Peer };

/** A logged connection: a net.Socket, a TLSSocket, or handle-relay.ts's connection on raw handles. */
export interface Peer {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** Drops of one rejection reason since the last summary. */
interface Bucket {
  tokens: number;
  last: number;
  dropped: number;
  backends: Set<Backend>;
}

export interface AccessLogOptions {
  /** ZoneEgress name, in every line. */
  egress: string;
  lines: LineSinks;
  metrics: EgressMetrics;
  /** Backends for every route and for unrouted connections (`dp run --access-log`). */
  always?: AccessLogBackend[];
  /** Wall clock in ms (tests pin it); durations use performance.now(). */
  now?: () => number;
  rejectionLimit?: RejectionLimit;
}

export class AccessLog {
  /** Some backend is configured: the data path calls in only when this is true. */
  on = false;
  private routes = new Map<string, Backend[]>();
  /** Routes the section does not list: the `always` backends. */
  private other: Backend[] = [];
  private unrouted: Backend[] = [];
  /** Backends by identity (type, destination, format), kept across snapshots. */
  private known = new Map<string, Backend>();
  private readonly tcp = new Map<string, TcpLogSender>();
  private readonly renders = new Map<string, Render>();
  private readonly buckets = new Map<string, Bucket>();
  private summaryTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly limit: RejectionLimit;

  constructor(private readonly opts: AccessLogOptions) {
    this.now = opts.now ?? Date.now;
    this.limit = opts.rejectionLimit ?? REJECTION_LIMIT;
    this.configure(undefined);
  }

  /** Applies a snapshot's section (plus the `always` backends). TCP connections in use are kept. */
  configure(section: EgressAccessLog | undefined): void {
    const always = (this.opts.always ?? []).map((b) => this.backend(b));
    const byName = new Map<string, Backend>();
    for (const b of section?.backends ?? []) byName.set(b.name, this.backend(b));
    const pick = (names: string[]): Backend[] => [...new Set([...always, ...names.flatMap((n) => byName.get(n) ?? [])])];
    this.routes = new Map((section?.routes ?? []).map((r) => [r.sni, pick(r.backends)]));
    this.other = always;
    this.unrouted = pick(section?.unrouted ?? []);
    const used = new Set([...this.routes.values(), this.other, this.unrouted].flat());
    for (const [key, b] of this.known) {
      if (used.has(b)) continue;
      this.known.delete(key);
      this.tcp.get(key)?.close();
      this.tcp.delete(key);
    }
    this.on = used.size > 0;
  }

  private backend(b: AccessLogBackend): Backend {
    const format = JSON.stringify(b.format ?? null);
    const dest = b.type === 'file' ? b.path : b.type === 'tcp' ? b.address : 'stdout';
    const key = `${b.type}\n${dest}\n${format}`;
    const known = this.known.get(key);
    if (known) return known;
    let render = this.renders.get(format);
    if (!render) this.renders.set(format, (render = compileFormat(b.format)));
    let write: (line: string) => void;
    if (b.type === 'tcp') {
      const sender = new TcpLogSender(b.address, () => this.opts.metrics.accessLogDropped(b.name, 'buffer-full'));
      this.tcp.set(key, sender);
      write = (line) => sender.send(line);
    } else {
      const sink = this.opts.lines(dest);
      write = (line) => sink.write(line);
    }
    const backend: Backend = { name: b.name, render, plain: b.format?.type === 'Plain', write };
    this.known.set(key, backend);
    return backend;
  }

  /** A socket was accepted (called only when `on`): its start and peer, read while it is open. */
  accepted(sock: Peer): void {
    (sock as Tagged)[kAccessLogState] = new ConnState(performance.now(), address(sock.remoteAddress, sock.remotePort));
  }

  /** The connection `from` goes on as the socket `to` (a raw handle wrapped for node:tls): same start, same peer. */
  handOver(from: Peer, to: net.Socket): void {
    (to as unknown as Tagged)[kAccessLogState] = (from as Tagged)[kAccessLogState];
  }

  /** Whether connections of this route are logged. */
  logs(sni: string): boolean {
    return (this.routes.get(sni) ?? this.other).length > 0;
  }

  /** A terminated connection passed authorization (called only when `on`). */
  terminated(sock: tls.TLSSocket, route: TerminatingRoute, san: string | undefined, decision: Decision): void {
    if (!this.logs(route.sni)) return;
    const st = stateOf(sock);
    st.identity = spiffeOf(sanUris(san), route.mesh) ?? null;
    st.upstream = `${route.address}:${route.port}`;
    st.tls = sock.getProtocol();
    st.decision = decision;
  }

  /** A routed connection ended (called only when `on`); `upstream` is the endpoint of a passthrough one. */
  finished(sock: Peer, route: { kind: 'passthrough' | 'terminating'; mesh: string } | undefined, sni: string, outcome: string, bytesIn: number, bytesOut: number, upstream?: string): void {
    const backends = this.routes.get(sni) ?? this.other;
    if (backends.length === 0) return;
    const st = stateOf(sock);
    const revoked = revokedBy(sock);
    const decision = revoked ?? st.decision;
    this.emit(backends, {
      time: isoTime(this.wall(st.start)),
      egress: this.opts.egress,
      mesh: route?.mesh ?? null,
      route: route?.kind ?? null,
      sni,
      client: st.client,
      identity: st.identity,
      upstream: upstream ?? st.upstream,
      bytesIn,
      bytesOut,
      durationMs: ms(performance.now() - st.start),
      tls: st.tls,
      close: revoked ? 'revoked' : outcome,
      permission: decision ? { action: decision.action, policy: decision.policy ?? null } : null,
    });
  }

  /**
   * A rejected connection (called only when `on`; rate-limited per reason). With a route (a bad
   * client certificate or a denial on a terminating route) the line goes to that route's
   * backends, otherwise to the unrouted ones.
   */
  rejected(sock: Peer, reason: string, sni?: string, route?: { kind: 'passthrough' | 'terminating'; mesh: string }, detail?: { san?: string; decision?: Decision }): void {
    const backends = route && sni !== undefined ? (this.routes.get(sni) ?? this.other) : this.unrouted;
    if (backends.length === 0) return;
    if (!this.take(reason, backends)) return;
    this.emitRejected(backends, stateOf(sock), reason, sni, route, route?.kind === 'terminating' && 'getProtocol' in sock ? (sock as tls.TLSSocket).getProtocol() : null, detail);
  }

  /** A connection closed at accept, before node made a socket of it (`--max-connections`). */
  refused(remoteAddress: string | undefined, remotePort: number | undefined, reason: string): void {
    if (this.unrouted.length === 0 || !this.take(reason, this.unrouted)) return;
    this.emitRejected(this.unrouted, new ConnState(performance.now(), address(remoteAddress, remotePort)), reason, undefined, undefined, null);
  }

  private emitRejected(backends: Backend[], st: ConnState, reason: string, sni: string | undefined, route: { kind: 'passthrough' | 'terminating'; mesh: string } | undefined, tlsVersion: string | null, detail?: { san?: string; decision?: Decision }): void {
    const d = detail?.decision;
    this.emit(backends, {
      time: isoTime(this.wall(st.start)),
      egress: this.opts.egress,
      mesh: route?.mesh ?? null,
      route: route?.kind ?? null,
      sni: sni ?? null,
      client: st.client,
      identity: route && detail?.san ? (spiffeOf(sanUris(detail.san), route.mesh) ?? null) : null,
      upstream: null,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: ms(performance.now() - st.start),
      tls: tlsVersion,
      close: reason,
      permission: d ? { action: d.action, policy: d.policy ?? null } : null,
    });
  }

  private emit(backends: Backend[], rec: AccessRecord): void {
    // Rendered once per format: backends that share one share the line.
    let lastRender: Render | undefined;
    let line = '';
    for (const b of backends) {
      if (b.render !== lastRender) {
        lastRender = b.render;
        line = b.render(rec);
      }
      b.write(line);
    }
  }

  private wall(start: number): number {
    return this.now() - (performance.now() - start);
  }

  /** Token bucket of one rejection reason; a dropped line is counted per backend. */
  private take(reason: string, backends: Backend[]): boolean {
    const now = performance.now();
    let b = this.buckets.get(reason);
    if (!b) this.buckets.set(reason, (b = { tokens: this.limit.burst, last: now, dropped: 0, backends: new Set() }));
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.last) / 1000) * this.limit.perSecond);
    b.last = now;
    if (b.tokens >= 1) {
      b.tokens--;
      return true;
    }
    b.dropped++;
    for (const be of backends) {
      b.backends.add(be);
      this.opts.metrics.accessLogDropped(be.name, 'rate-limit');
    }
    if (!this.summaryTimer) {
      this.summaryTimer = setTimeout(() => this.summarize(), SUMMARY_MS);
      this.summaryTimer.unref();
    }
    return false;
  }

  /** One line per reason that dropped lines since the last summary. */
  private summarize(): void {
    this.summaryTimer = undefined;
    const time = new Date(this.now()).toISOString();
    for (const [reason, b] of this.buckets) {
      if (b.dropped === 0) continue;
      const message = `${b.dropped} rejected connections (${reason}) not logged: over ${this.limit.perSecond} lines/s`;
      const json = JSON.stringify({ time, egress: this.opts.egress, close: reason, dropped: b.dropped, message });
      for (const be of b.backends) be.write(be.plain ? `${time} ${this.opts.egress}: ${message}` : json);
      b.dropped = 0;
      b.backends.clear();
    }
  }

  close(): void {
    if (this.summaryTimer) {
      clearTimeout(this.summaryTimer);
      this.summarize();
    }
    for (const s of this.tcp.values()) s.close();
    this.tcp.clear();
  }
}

function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function address(a: string | undefined, p: number | undefined): string {
  return a === undefined ? '' : a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`;
}

/** The state of the accepted socket (node:tls wraps it as `_parent`); a fallback when logging started after the accept. */
function stateOf(s: Peer): ConnState {
  const raw = ((s as Tagged)._parent ?? s) as Peer & Tagged;
  let st = raw[kAccessLogState];
  if (!st) raw[kAccessLogState] = st = new ConnState(performance.now(), address(raw.remoteAddress, raw.remotePort));
  return st;
}

/** `--access-log` values: `stdout`, `tcp://host:port`, or a file path (absolute after resolve). */
export function parseAccessLogDestination(value: string, resolvePath: (p: string) => string): AccessLogBackend | string {
  const forms = 'use stdout, tcp://HOST:PORT, or a file path';
  if (value === 'stdout' || value === '-') return { name: 'stdout', type: 'stdout' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'tcp') return `--access-log ${value}: ${scheme[1]}:// is not a destination (${forms})`;
    const address = value.slice(scheme[0].length);
    if (!parseHostPort(address)) return `--access-log ${value}: not tcp://HOST:PORT (${forms})`;
    return { name: value, type: 'tcp', address };
  }
  if (value.trim() === '' || value.endsWith('/')) return `--access-log ${JSON.stringify(value)}: not a file path (${forms})`;
  return { name: value, type: 'file', path: resolvePath(value) };
}

