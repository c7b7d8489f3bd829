/**
 * Per-connection data path: buffer the ClientHello (without losing a byte), route by SNI, then
 * either relay the untouched TLS bytes to a zone ingress (passthrough) or hand the socket, with
 * the buffered bytes put back, to the mesh-mTLS terminator.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../core/log.js';
import type { AccessLog } from './access-log.js';
import { parseClientHello } from './client-hello.js';
import type { LineSinks } from './lines.js';
import { authorize } from './enforce.js';
import type { EgressMetrics, EndpointCounters, RejectReason, RouteCounters } from './metrics.js';
import { relay, UpstreamReader } from './relay.js';
import { pickEndpoint, type CompiledPassthrough, type RouteTable } from './route-table.js';
import { SlotSet } from './slot-set.js';
import type { UpstreamTimers } from './upstream-timers.js';

/** What drain and close need of an accepted connection. */
export interface Closable {
  destroy(): void;
}

export interface DataPathContext {
  /** The route table in force (undefined before the first snapshot). */
  table(): RouteTable | undefined;
  metrics: EgressMetrics;
  log: Logger;
  clientHelloTimeoutMs: number;
  /** The terminating TLS server (not listening; fed with 'connection' events). */
  terminator: tls.Server;
  random: () => number;
  /** Upstream and TLS sockets, for drain and close (accepted sockets are in `accepted`). */
  live: Set<net.Socket | tls.TLSSocket>;
  /** Accepted connections not closed yet (net.Sockets, or handle-relay.ts's), for drain, close and the cap. */
  accepted: { add(c: Closable): void; delete(c: Closable): void; readonly size: number };
  /** `--max-connections`: accepted connections held at once; a new one beyond is closed at accept. */
  maxConnections: number;
  /** Counts (and logs) a connection closed at accept because `maxConnections` are held. */
  refused(remoteAddress: string | undefined, remotePort: number | undefined): void;
  /** Set when drain time ran out: connections closed from then on count as `drained`. */
  forceClosed: boolean;
  /** ClientHello deadlines (`new HelloDeadlines(clientHelloTimeoutMs)`). */
  deadlines: HelloDeadlines;
  /** Connect and idle deadlines, TCP keepalive toward upstreams. */
  upstream: UpstreamTimers;
  /** Whole-line output (access logs): from a worker, lines travel to the primary (lines.ts). */
  lines: LineSinks;
  /** Per-connection log lines; every call is behind `access.on` (no cost when nothing is logged). */
  access: AccessLog;
}

/**
 * Client bytes kept while the upstream connects before the client is paused (a TLS client waits
 * for the ServerHello, so early bytes are rare).
 */
export const EARLY_MAX = 64 * 1024;

/** Where a connection sits in its egress's accepted connections (a SlotSet). */
export const kAcceptedSlot: unique symbol = Symbol('zonectl.acceptedSlot');
/** Where a connection sits in the ClientHello deadlines (a SlotSet). */
export const kHelloSlot: unique symbol = Symbol('zonectl.helloSlot');

const kConn = Symbol('zonectl.conn');

/**
 * One accepted socket until it is relayed or rejected. The listeners are shared functions that
 * find this state on the socket (`kConn`), not closures per connection: at thousands of new
 * connections per second the closures' allocation is measurable GC time.
 */
class PendingConn {
  /** The bytes read so far (the ClientHello, plus whatever followed it in the same reads). */
  buf: Buffer | undefined = undefined;
  /** Hello parsed or rejected: the deadline no longer applies and 'data' now means early bytes. */
  settled = false;
  /** Client bytes that arrived after the hello while the upstream connects. */
  early: Buffer[] | undefined = undefined;
  earlyBytes = 0;
  route: CompiledPassthrough | undefined = undefined;
  idx = 0;
  mayRetry = true;
  started = 0;
  /** performance.now() at the first upstream connect: the start of the connection's duration. */
  routed = 0;
  stats: RouteCounters | undefined = undefined;
  up: net.Socket | undefined = undefined;
  reader: UpstreamReader | undefined = undefined;
  epStats: EndpointCounters | undefined = undefined;
  [kHelloSlot] = -1;
  constructor(
    readonly ctx: DataPathContext,
    readonly client: net.Socket,
    readonly deadline: number,
  ) {}
  helloTimeout(): void {
    reject(this, 'timeout');
  }
}
type Tagged = { [kConn]: PendingConn };
const connOf = (s: net.Socket): PendingConn => (s as unknown as Tagged)[kConn];

/** A connection reading its ClientHello (of either data path). */
export interface HelloWaiter {
  [kHelloSlot]: number;
  readonly deadline: number;
  /** The deadline passed: reject the connection as `timeout`. */
  helloTimeout(): void;
}

class HelloWaiters extends SlotSet<HelloWaiter> {
  protected slot(c: HelloWaiter): number {
    return c[kHelloSlot];
  }
  protected setSlot(c: HelloWaiter, i: number): void {
    c[kHelloSlot] = i;
  }
}

/** Accepted connections (either data path's) not closed yet, for drain, close and the cap. */
export class AcceptedSet extends SlotSet<Closable> {
  protected slot(c: Closable): number | undefined {
    return (c as Slotted)[kAcceptedSlot];
  }
  protected setSlot(c: Closable, i: number): void {
    (c as Slotted)[kAcceptedSlot] = i;
  }
}
type Slotted = { [kAcceptedSlot]?: number };

/**
 * ClientHello deadlines of one listener. Every connection has the same timeout, so instead of a
 * setTimeout/clearTimeout pair per connection (a Timeout object, timer-list bookkeeping, and a
 * libuv clock read each), one timer sweeps the connections still reading their hello. A timeout
 * fires at most one tick late; the timer is armed only while some connection waits, and unref'd.
 */
export class HelloDeadlines {
  private readonly waiting = new HelloWaiters();
  private timer: NodeJS.Timeout | undefined;
  private readonly tick: number;
  constructor(readonly timeoutMs: number) {
    // 1/10 of the timeout, between 10 ms and 500 ms: a 5 s timeout fires within 5.0-5.5 s.
    this.tick = Math.min(500, Math.max(10, Math.floor(timeoutMs / 10)));
  }
  add(c: HelloWaiter): void {
    this.waiting.add(c);
    if (!this.timer) this.arm();
  }
  delete(c: HelloWaiter): void {
    this.waiting.delete(c);
  }
  private arm(): void {
    this.timer = setTimeout(() => this.sweep(), this.tick);
    this.timer.unref();
  }
  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    this.waiting.forEach((c) => c.deadline <= now && c.helloTimeout());
    if (this.waiting.size > 0) this.arm();
  }
}

function settle(c: PendingConn): void {
  c.settled = true;
  c.ctx.deadlines.delete(c);
}

function reject(c: PendingConn, reason: RejectReason): void {
  settle(c);
  c.ctx.metrics.reject(reason);
  if (c.ctx.access.on) c.ctx.access.rejected(c.client, reason);
  c.client.destroy();
}

/** Handles one accepted socket until it is routed or rejected. */
export function onConnection(ctx: DataPathContext, client: net.Socket): void {
  ctx.metrics.onAccept();
  if (ctx.access.on) ctx.access.accepted(client);
  const c = new PendingConn(ctx, client, performance.now() + ctx.clientHelloTimeoutMs);
  (client as unknown as Tagged)[kConn] = c;
  ctx.deadlines.add(c);
  client.on('data', onClientData);
  client.on('end', onClientEnd);
  client.on('close', onClientClose);
  // Stays for the connection's life: a later error is handled by relay(), this one only keeps an
  // early reset from becoming an uncaught exception.
  client.on('error', onClientError);
}

function onClientData(this: net.Socket, chunk: Buffer): void {
  const c = connOf(this);
  if (c.settled) {
    // The upstream is connecting: keep the bytes (written after the hello), within a bound.
    (c.early ??= []).push(chunk);
    c.earlyBytes += chunk.length;
    if (c.earlyBytes >= EARLY_MAX) this.pause();
    return;
  }
  const buf = (c.buf = c.buf === undefined ? chunk : Buffer.concat([c.buf, chunk]));
  const hello = parseClientHello(buf);
  if (!hello.ok) {
    if (hello.reason !== 'need-more') reject(c, hello.reason);
    return;
  }
  settle(c);
  route(c, buf, hello.sni);
}

function onClientEnd(this: net.Socket): void {
  const c = connOf(this);
  // After the hello, a FIN is the relay's business (it checks readableEnded once connected).
  if (c.settled) return;
  // EOF before a whole ClientHello: a truncated hello, or a bare TCP probe (no bytes, not counted).
  if (c.buf) return reject(c, 'malformed');
  settle(c);
  this.destroy();
}

function onClientError(this: net.Socket): void {
  const c = connOf(this);
  if (!c.settled) settle(c);
  this.destroy();
}

/** The client went away: stop reading its hello, or stop connecting for it (accounted once). */
function onClientClose(this: net.Socket): void {
  const c = connOf(this);
  if (!c.settled) return settle(c);
  const up = c.up;
  if (!up || !c.route) return;
  c.up = undefined;
  up.removeListener('error', onUpstreamError);
  up.on('error', ignore);
  up.destroy();
  c.ctx.upstream.released(up);
  finish(c.ctx, this, c.route.route.sni, c.stats!, c.routed, 'error', 0, 0);
}

function ignore(): void {}

/** Stops the hello listeners: from here on the socket belongs to relay() or node:tls. */
function release(client: net.Socket): void {
  client.removeListener('data', onClientData);
  client.removeListener('end', onClientEnd);
  client.removeListener('close', onClientClose);
}

function route(c: PendingConn, hello: Buffer, sni: string | undefined): void {
  const { ctx, client } = c;
  if (sni === undefined) return rejectRouted(ctx, client, 'no-sni');
  const r = ctx.table()?.routes.get(sni);
  if (!r) return rejectRouted(ctx, client, 'unknown-sni', sni);
  if (r.kind === 'passthrough') {
    c.stats = ctx.metrics.opened(r);
    // The client keeps flowing while the upstream connects (a pause now and a resume later each
    // cost an epoll_ctl); onClientData keeps what arrives meanwhile.
    c.route = r;
    return connectPassthrough(c, pickEndpoint(r, ctx.random));
  }
  // Put the hello back and let node:tls read it: a TLSSocket wrapping a socket with buffered
  // readable data feeds that data to the TLS engine first.
  release(client);
  client.pause();
  client.unshift(hello);
  ctx.terminator.emit('connection', client);
}

function rejectRouted(ctx: DataPathContext, client: net.Socket, reason: RejectReason, sni?: string): void {
  ctx.metrics.reject(reason);
  if (ctx.access.on) ctx.access.rejected(client, reason, sni);
  client.destroy();
}

function connectPassthrough(c: PendingConn, idx: number): void {
  const r = c.route!;
  const ep = r.endpoints[idx];
  c.idx = idx;
  c.started = performance.now();
  if (c.routed === 0) c.routed = c.started;
  c.epStats = c.ctx.metrics.endpointFor(r.route.sni, ep);
  c.reader = new UpstreamReader();
  const up = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true, noDelay: true, onread: c.reader.onread });
  c.up = up;
  (up as unknown as Tagged)[kConn] = c;
  up.on('error', onUpstreamError);
  up.on('connect', onUpstreamConnect); // fires at most once
  c.ctx.upstream.connecting(up);

}

function onUpstreamError(this: net.Socket, err: NodeJS.ErrnoException): void {
  const c = connOf(this);
  const { ctx, client } = c;
  const r = c.route!;
  const sni = r.route.sni;
  const ep = r.endpoints[c.idx];
  c.up = undefined;
  ctx.upstream.released(this);
  ctx.metrics.connectFailed(sni, ep.key);
  ctx.log.debug({ sni, endpoint: ep.key, code: err.code }, 'upstream connect failed');
  // "if the connect fails, try the next endpoint once" (issue 6).
  if (c.mayRetry && r.endpoints.length > 1) {
    c.mayRetry = false;
    return connectPassthrough(c, (c.idx + 1) % r.endpoints.length);
  }
  release(client);
  client.destroy();
  finish(ctx, client, sni, c.stats!, c.routed, 'upstream-connect-failed', 0, 0);
}

function onUpstreamConnect(this: net.Socket): void {
  const c = connOf(this);
  const up = c.up!; // === this
  const { ctx, client } = c;
  const sni = c.route!.route.sni;
  const epStats = c.epStats!;
  release(client);
  up.removeListener('error', onUpstreamError);
  ctx.metrics.connectedTo(epStats, c.stats!, (performance.now() - c.started) / 1000);
  epStats.active++;
  epStats.total++;
  ctx.live.add(up);
  ctx.upstream.relayed(up, client);
  up.write(c.buf!);
  if (c.early) for (const b of c.early) up.write(b);
  c.buf = c.early = undefined;
  relay(
    client,
    up,
    (end) => {
      epStats.active--;
      ctx.live.delete(up);
      ctx.upstream.released(up);
      finish(ctx, client, sni, c.stats!, c.routed, end, up.bytesWritten, up.bytesRead);
    },
    c.reader,
  );
}

function finish(ctx: DataPathContext, client: net.Socket | tls.TLSSocket, sni: string, stats: RouteCounters, routedAt: number, end: 'closed' | 'error' | 'upstream-connect-failed', bytesIn: number, bytesOut: number): void {
  ctx.live.delete(client);
  const outcome = ctx.forceClosed ? 'drained' : end;
  ctx.metrics.closed(stats, outcome, bytesIn, bytesOut, routedAt);
  if (ctx.access.on) {
    // A passthrough client carries its endpoint; a terminated one (TLSSocket) does not.
    const c = (client as unknown as Partial<Tagged>)[kConn];
    ctx.access.finished(client, { kind: stats.kind, mesh: stats.mesh }, sni, outcome, bytesIn, bytesOut, c?.route?.endpoints[c.idx]?.key);
  }
}

/** Wires the terminating TLS server: verified mesh clients are relayed to the external service. */
export function attachTerminator(ctx: DataPathContext): void {
  ctx.terminator.on('tlsClientError', (_err: Error, tlsSock: tls.TLSSocket) => {
    ctx.metrics.reject('client-cert');
    if (ctx.access.on) logRejected(ctx, tlsSock, 'client-cert');
    tlsSock.destroy();
  });
  ctx.terminator.on('secureConnection', (tlsSock: tls.TLSSocket) => {
    const sni = typeof tlsSock.servername === 'string' ? tlsSock.servername : '';
    const r = ctx.table()?.routes.get(sni);
    if (!r || r.kind !== 'terminating') {
      ctx.metrics.reject('unknown-sni');
      if (ctx.access.on) ctx.access.rejected(tlsSock, 'unknown-sni', sni);
      return void tlsSock.destroy();
    }
    // The chain is verified against the mesh CA (requestCert + rejectUnauthorized); also require a
    // SPIFFE id of this mesh, so that a CA shared by two meshes cannot cross them.
    const peer = tlsSock.getPeerCertificate();
    const uris = (peer?.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('URI:'));
    if (!uris.some((u) => u.startsWith(`URI:spiffe://${r.route.mesh}/`))) {
      ctx.metrics.reject('client-cert');
      if (ctx.access.on) ctx.access.rejected(tlsSock, 'client-cert', sni, { kind: 'terminating', mesh: r.route.mesh });
      return void tlsSock.destroy();
    }
    const decision = authorize(ctx.metrics, ctx.log, r, tlsSock, peer.subjectaltname);
    if (decision.action === 'deny') {
      if (ctx.access.on) ctx.access.rejected(tlsSock, 'denied', sni, { kind: 'terminating', mesh: r.route.mesh }, { san: peer.subjectaltname, decision });
      return;
    }
    if (ctx.access.on) ctx.access.terminated(tlsSock, r.route, peer.subjectaltname, decision);
    const stats = ctx.metrics.opened(r);
    ctx.live.add(tlsSock);
    const started = performance.now();
    const ep = `${r.route.address}:${r.route.port}`;
    // Plain upstreams read into a reused buffer (see UpstreamReader); TLS ones cannot (node:tls
    // has no onread) and use the 'data' path.
    const reader = r.origination ? undefined : new UpstreamReader();
    const up = r.origination
      ? tls.connect({ ...r.origination, allowHalfOpen: true } as tls.ConnectionOptions)
      : net.connect({ host: r.route.address, port: r.route.port, allowHalfOpen: true, noDelay: true, onread: reader!.onread });
    ctx.upstream.connecting(up);
    const abort = () => {
      up.removeAllListeners('error');
      up.on('error', () => {});
      up.destroy();
      ctx.upstream.released(up);
      finish(ctx, tlsSock, sni, stats, started, 'error', 0, 0);
    };
    tlsSock.once('close', abort);
    tlsSock.on('error', () => tlsSock.destroy());
    up.once('error', (err: NodeJS.ErrnoException) => {
      tlsSock.removeListener('close', abort);
      ctx.upstream.released(up);
      ctx.metrics.connectFailed(sni, ep);
      ctx.log.debug({ sni, endpoint: ep, code: err.code, err: err.message }, 'external service connect failed');
      tlsSock.destroy();
      finish(ctx, tlsSock, sni, stats, started, 'upstream-connect-failed', 0, 0);
    });
    up.once(r.origination ? 'secureConnect' : 'connect', () => {
      tlsSock.removeListener('close', abort);
      up.removeAllListeners('error');
      if (r.origination) up.setNoDelay(true);
      const epStats = ctx.metrics.terminatingEndpoint(stats, sni, ep);
      ctx.metrics.connectedTo(epStats, stats, (performance.now() - started) / 1000);
      epStats.active++;
      epStats.total++;
      ctx.live.add(up);
      ctx.upstream.relayed(up, tlsSock);
      relay(
        tlsSock,
        up,
        (end) => {
          epStats.active--;
          ctx.live.delete(up);
          ctx.upstream.released(up);
          finish(ctx, tlsSock, sni, stats, started, end, up.bytesWritten, up.bytesRead);
        },
        reader,
      );
    });
  });
}

/** A failed mTLS handshake: on a terminating route's backends when the SNI names one. */
function logRejected(ctx: DataPathContext, tlsSock: tls.TLSSocket, reason: RejectReason): void {
  const sni = typeof tlsSock.servername === 'string' ? tlsSock.servername : undefined;
  const r = sni === undefined ? undefined : ctx.table()?.routes.get(sni);
  ctx.access.rejected(tlsSock, reason, sni, r ? { kind: r.kind, mesh: r.route.mesh } : undefined);
}
