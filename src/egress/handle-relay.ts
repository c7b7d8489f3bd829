/**
 * The data path on libuv TCP handles (uv.ts), below net.Socket: accept, ClientHello, routing and
 * the passthrough relay, with the same outcomes, metrics, access-log lines, timeouts and failover
 * as data-path.ts's net.Socket path. A terminating route gets its accepted handle wrapped in a
 * net.Socket, with the ClientHello put back, for node:tls (data-path.ts's terminator) as before.
 *
 * The relay, per direction: reads go into one buffer of the connection (no allocation per read);
 * each read is written to the other handle at once. The kernel usually takes it all (the buffer
 * is free again); when it queues some, reading that direction stops until the write completes:
 * backpressure, and at most one buffer of bytes in flight per direction. A FIN read is passed on
 * with shutdown() once the writes before it are done (half-close); when both sides sent theirs,
 * both handles close. An error on either side (reset, failed write) closes both.
 */
import { lookup } from 'node:dns';
import net from 'node:net';
import { kAccessLogState, type ConnState } from './access-log.js';
import { parseClientHello } from './client-hello.js';
import { EARLY_MAX, kAcceptedSlot, kHelloSlot, type DataPathContext } from './data-path.js';
import type { EndpointCounters, RejectReason, RouteCounters } from './metrics.js';
import { pickEndpoint, type CompiledPassthrough } from './route-table.js';
import { kConnecting, kRelayed, type TimerSlots } from './upstream-timers.js';
import type { ConnectReq, TcpHandle, Uv, WriteReq } from './uv.js';

/** First read buffers: slices of Buffer's shared pool, so 10,000 idle connections stay cheap. */
const BUF_MIN = 2 * 1024;
/** A read that fills its buffer means bulk traffic: grow to this (fewer syscalls per GiB). */
const CLIENT_BUF_MAX = 64 * 1024;
const UPSTREAM_BUF_MAX = 256 * 1024;

type Outcome = 'closed' | 'error' | 'upstream-connect-failed';

const kConn = Symbol('zonectl.handleConn');
type Tagged = TcpHandle & { [kConn]: HandleConn };
type ConnReq = ConnectReq & { conn: HandleConn; attempt: number };
type ConnWriteReq = WriteReq & { conn: HandleConn; toUpstream: boolean };

/**
 * One accepted connection. It also stands for the relay's upstream toward UpstreamTimers and the
 * drain (destroyed, destroy(), bytesRead/bytesWritten, setKeepAlive) and for the access log
 * (remoteAddress, remotePort), as a net.Socket does on the other path.
 */
export class HandleConn {
  /** The bytes read so far, until the hello is parsed (a copy: the read buffer is reused). */
  hello: Buffer | undefined = undefined;
  settled = false;
  early: Buffer[] | undefined = undefined;
  earlyBytes = 0;
  earlyPaused = false;
  route: CompiledPassthrough | undefined = undefined;
  stats: RouteCounters | undefined = undefined;
  epStats: EndpointCounters | undefined = undefined;
  idx = 0;
  mayRetry = true;
  /** Connect attempts so far: a late answer (lookup, connect) of an abandoned one is ignored. */
  attempt = 0;
  started = 0;
  routed = 0;
  up: TcpHandle | undefined = undefined;
  connected = false;
  closed = false;
  clientEof = false;
  upstreamEof = false;
  /** Writes queued (not yet taken by the kernel) toward each side. */
  toUpstream = 0;
  toClient = 0;
  /** Bytes written to the upstream (the hello included) and read from it. */
  bytesWritten = 0;
  bytesRead = 0;
  clientBuf: Buffer = Buffer.allocUnsafe(BUF_MIN);
  upstreamBuf: Buffer | undefined = undefined;
  private peer: { address?: string; port?: number } | undefined = undefined;
  // The slots of the sets and timers this connection enters, declared so that entering them does
  // not change the object's shape (V8 then keeps every property load here monomorphic).
  [kAcceptedSlot] = -1;
  [kHelloSlot] = -1;
  [kConnecting]: TimerSlots[typeof kConnecting] = undefined;
  [kRelayed]: TimerSlots[typeof kRelayed] = undefined;
  [kAccessLogState]: ConnState | undefined = undefined;

  constructor(
    readonly ctx: DataPathContext,
    readonly uv: Uv,
    readonly client: TcpHandle,
    readonly deadline: number,
  ) {}

  get destroyed(): boolean {
    return this.closed;
  }
  get remoteAddress(): string | undefined {
    return this.peerName().address;
  }
  get remotePort(): number | undefined {
    return this.peerName().port;
  }
  private peerName(): { address?: string; port?: number } {
    if (!this.peer) this.client.getpeername((this.peer = {}));
    return this.peer;
  }

  setKeepAlive(on: boolean, delayMs: number): void {
    const s = Math.floor(delayMs / 1000);
    this.client.setKeepAlive(on, s);
    this.up?.setKeepAlive(on, s);
  }

  helloTimeout(): void {
    reject(this, 'timeout');
  }

  /**
   * Closes the connection: an error while connecting is a failed connect (the connect deadline's
   * ETIMEDOUT: the next endpoint is tried); otherwise it ends as closed, or as an error when it was
   * still connecting (as a client that goes away while its upstream connects).
   */
  destroy(err?: Error & { code?: string }): void {
    if (this.closed) return;
    if (!this.settled) return quiet(this);
    if (!this.route) return;
    if (!this.connected && err) return connectFailed(this, err.code ?? 'ERROR');
    end(this, this.connected ? 'closed' : 'error');
  }
}

const connOf = (h: TcpHandle): HandleConn => (h as Tagged)[kConn];

/**
 * A listener's onconnection for `ctx`: every accepted handle starts here. `noDelayInherited`: the
 * listening socket has TCP_NODELAY and accepted sockets inherit it (Linux), so it is not set again.
 */
export function handleAcceptor(ctx: DataPathContext, uv: Uv, noDelayInherited = false): (err: number, handle: TcpHandle | undefined) => void {
  return (err, handle) => {
    // An accept error (e.g. ENFILE) leaves nothing to close; libuv keeps listening.
    if (err || !handle) return void ctx.log.debug({ code: uv.errname(err) }, 'accept failed');
    if (ctx.accepted.size >= ctx.maxConnections) {
      const peer: { address?: string; port?: number } = {};
      if (ctx.access.on) handle.getpeername(peer);
      handle.close();
      return ctx.refused(peer.address, peer.port);
    }
    ctx.metrics.onAccept();
    const c = new HandleConn(ctx, uv, handle, performance.now() + ctx.clientHelloTimeoutMs);
    (handle as Tagged)[kConn] = c;
    ctx.accepted.add(c);
    if (ctx.access.on) ctx.access.accepted(c);
    ctx.deadlines.add(c);
    if (!noDelayInherited) handle.setNoDelay(true);
    handle.useUserBuffer(c.clientBuf);
    handle.onread = onClientRead;
    const e = handle.readStart();
    if (e) quiet(c);
  };
}

function settle(c: HandleConn): void {
  c.settled = true;
  c.ctx.deadlines.delete(c);
}

/** Closes both handles; no accounting. */
function closeHandles(c: HandleConn): void {
  c.closed = true;
  c.client.close();
  c.up?.close();
  c.ctx.accepted.delete(c);
}

/** Closes a connection that was never routed (a bare probe, a reset during the hello, a drain). */
function quiet(c: HandleConn): void {
  settle(c);
  closeHandles(c);
}

function reject(c: HandleConn, reason: RejectReason, sni?: string): void {
  settle(c);
  c.ctx.metrics.reject(reason);
  if (c.ctx.access.on) c.ctx.access.rejected(c, reason, sni);
  closeHandles(c);
}

function onClientRead(this: TcpHandle): Uint8Array | undefined {
  const c = connOf(this);
  const uv = c.uv;
  const n = uv.state[uv.kReadBytesOrError];
  if (c.closed) return undefined;
  if (n > 0) {
    const buf = c.clientBuf;
    if (!c.settled) return void helloBytes(c, buf.subarray(0, n));
    if (!c.connected) {
      (c.early ??= []).push(Buffer.from(buf.subarray(0, n)));
      c.earlyBytes += n;
      if (c.earlyBytes >= EARLY_MAX) {
        c.earlyPaused = true;
        this.readStop();
      }
      return undefined;
    }
    if (!write(c, true, buf.subarray(0, n)) && !c.closed) this.readStop();
    if (n === buf.length && n < CLIENT_BUF_MAX) return (c.clientBuf = Buffer.allocUnsafe(CLIENT_BUF_MAX));
    return undefined;
  }
  if (n === 0) return undefined;
  if (n !== uv.UV_EOF) {
    // A reset: before routing nothing is counted (as on the net.Socket path).
    if (!c.settled || !c.route) quiet(c);
    else fail(c);
    return undefined;
  }
  if (!c.settled) {
    // EOF before a whole ClientHello: a truncated hello, or a bare TCP probe (no bytes, not counted).
    if (c.hello) reject(c, 'malformed');
    else quiet(c);
    return undefined;
  }
  c.clientEof = true;
  if (c.connected && c.toUpstream === 0) passFin(c, true);
  return undefined;
}

function helloBytes(c: HandleConn, chunk: Buffer): void {
  const buf = (c.hello = c.hello === undefined ? Buffer.from(chunk) : Buffer.concat([c.hello, chunk]));
  const hello = parseClientHello(buf);
  if (!hello.ok) {
    if (hello.reason !== 'need-more') reject(c, hello.reason);
    return;
  }
  settle(c);
  const { ctx } = c;
  const sni = hello.sni;
  if (sni === undefined) return reject(c, 'no-sni');
  const r = ctx.table()?.routes.get(sni);
  if (!r) return reject(c, 'unknown-sni', sni);
  if (r.kind === 'terminating') return handOver(c, buf);
  c.route = r;
  c.stats = ctx.metrics.opened(r);
  connect(c, pickEndpoint(r, ctx.random));
}

/**
 * A terminating route: node:tls takes the connection. The handle is wrapped in a net.Socket (not
 * read until node:tls starts it) with the buffered bytes put back, as the net.Socket path does.
 */
function handOver(c: HandleConn, hello: Buffer): void {
  const { ctx } = c;
  c.closed = true;
  c.hello = undefined;
  ctx.accepted.delete(c);
  c.client.readStop();
  const opts = { handle: c.client, allowHalfOpen: true, pauseOnCreate: true, readable: true, writable: true };
  const sock = new net.Socket(opts as net.SocketConstructorOpts);
  (sock as unknown as { [kCtx]: DataPathContext })[kCtx] = ctx;
  ctx.accepted.add(sock);
  sock.on('close', onHandedOverClose);
  if (ctx.access.on) ctx.access.handOver(c, sock);
  sock.unshift(hello);
  ctx.terminator.emit('connection', sock);
}

const kCtx = Symbol('zonectl.handleCtx');
function onHandedOverClose(this: net.Socket): void {
  (this as unknown as { [kCtx]?: DataPathContext })[kCtx]?.accepted.delete(this);
}

function connect(c: HandleConn, idx: number): void {
  const { ctx } = c;
  const r = c.route!;
  const ep = r.endpoints[idx];
  c.idx = idx;
  const now = (c.started = performance.now());
  if (c.routed === 0) c.routed = now;
  c.epStats = ctx.metrics.endpointFor(r.route.sni, ep);
  const attempt = ++c.attempt;
  ctx.upstream.connecting(c, now);
  if (ep.family !== 0) return dial(c, attempt, ep.address, ep.family, ep.port);
  // A host name: resolved as net.connect would (the connect deadline runs meanwhile).
  lookup(ep.address, (err, address, family) => {
    if (c.closed || c.attempt !== attempt) return;
    if (err) return connectFailed(c, err.code ?? 'ENOTFOUND');
    dial(c, attempt, address, family, ep.port);
  });
}

function dial(c: HandleConn, attempt: number, address: string, family: number, port: number): void {
  const uv = c.uv;
  const up = uv.newSocket();
  (up as Tagged)[kConn] = c;
  c.up = up;
  const req = uv.newConnectReq() as ConnReq;
  req.conn = c;
  req.attempt = attempt;
  req.oncomplete = onConnect;
  const err = family === 6 ? up.connect6(req, address, port) : up.connect(req, address, port);
  if (err) return connectFailed(c, uv.errname(err));
  // Reading starts with the connect: libuv registers the socket with epoll once for both the
  // connect and the reads (starting after the connect costs two more epoll_ctl calls).
  c.upstreamBuf = Buffer.allocUnsafe(BUF_MIN);
  up.useUserBuffer(c.upstreamBuf);
  up.onread = onUpstreamRead;
  up.readStart();
}

function onConnect(this: ConnReq, status: number): void {
  const c = this.conn;
  if (c.closed || c.attempt !== this.attempt) return;
  if (status < 0) return connectFailed(c, c.uv.errname(status));
  const { ctx } = c;
  const up = c.up!;
  c.connected = true;
  up.setNoDelay(true);
  const epStats = c.epStats!;
  const now = performance.now();
  ctx.metrics.connectedTo(epStats, c.stats!, (now - c.started) / 1000);
  epStats.active++;
  epStats.total++;
  ctx.upstream.relayed(c, undefined, now);
  const first = c.early ? Buffer.concat([c.hello!, ...c.early]) : c.hello!;
  c.hello = c.early = undefined;
  const ok = write(c, true, first);
  if (c.closed) return;
  if (!ok) c.client.readStop();
  else if (c.earlyPaused) c.client.readStart();
  c.earlyPaused = false;
  if (c.clientEof && c.toUpstream === 0) passFin(c, true);
}

function connectFailed(c: HandleConn, code: string): void {
  const { ctx } = c;
  const r = c.route!;
  const sni = r.route.sni;
  const ep = r.endpoints[c.idx];
  c.up?.close();
  c.up = undefined;
  ctx.upstream.released(c);
  ctx.metrics.connectFailed(sni, ep.key);
  ctx.log.debug({ sni, endpoint: ep.key, code }, 'upstream connect failed');
  // "if the connect fails, try the next endpoint once" (issue 6).
  if (c.mayRetry && r.endpoints.length > 1) {
    c.mayRetry = false;
    return connect(c, (c.idx + 1) % r.endpoints.length);
  }
  end(c, 'upstream-connect-failed');
}

function onUpstreamRead(this: TcpHandle): Uint8Array | undefined {
  const c = connOf(this);
  const uv = c.uv;
  const n = uv.state[uv.kReadBytesOrError];
  if (c.closed || c.up !== this) return undefined;
  if (n > 0) {
    const buf = c.upstreamBuf!;
    c.bytesRead += n;
    if (!write(c, false, buf.subarray(0, n)) && !c.closed) this.readStop();
    if (n === buf.length && n < UPSTREAM_BUF_MAX) return (c.upstreamBuf = Buffer.allocUnsafe(UPSTREAM_BUF_MAX));
    return undefined;
  }
  if (n === 0) return undefined;
  if (n !== uv.UV_EOF) return void fail(c);
  c.upstreamEof = true;
  if (c.toClient === 0) passFin(c, false);
  return undefined;
}

/**
 * Writes to one side. A request object is needed only when the kernel does not take everything:
 * a write that completes at once leaves it untouched, so one spare is reused across connections.
 * Returns whether the kernel took it all; if not, the caller stops reading the other side.
 */
let spare: WriteReq | undefined;
function write(c: HandleConn, toUpstream: boolean, buf: Buffer): boolean {
  const uv = c.uv;
  const dst = toUpstream ? c.up! : c.client;
  if (toUpstream) c.bytesWritten += buf.length;
  const req = (spare ?? uv.newWriteReq()) as ConnWriteReq;
  spare = undefined;
  const err = dst.writeBuffer(req, buf);
  if (err < 0) {
    fail(c);
    return false;
  }
  if (uv.state[uv.kLastWriteWasAsync] === 0) {
    spare = req;
    return true;
  }
  req.conn = c;
  req.toUpstream = toUpstream;
  req.buffer = buf;
  req.oncomplete = onWriteDone;
  if (toUpstream) c.toUpstream++;
  else c.toClient++;
  return false;
}

function onWriteDone(this: ConnWriteReq, status: number): void {
  const c = this.conn;
  this.buffer = undefined;
  if (c.closed) return;
  if (status < 0) return fail(c);
  if (this.toUpstream) {
    if (--c.toUpstream > 0) return;
    if (c.clientEof) passFin(c, true);
    else c.client.readStart();
  } else {
    if (--c.toClient > 0) return;
    if (c.upstreamEof) passFin(c, false);
    else c.up!.readStart();
  }
}

/**
 * One side sent its FIN and every byte before it was written to the other side: send the FIN on.
 * When both sides sent theirs and no write is queued either way, closing sends the same FIN.
 * The shutdown request gets no oncomplete: Node calls into JS for a finished request only when it
 * has one (StreamBase's OnStreamAfterReqFinished), and its outcome needs no action here: a peer
 * that is gone shows up as a read error or EOF on the side still being read (a side is shut down
 * only while its own FIN has not been read), and the idle timeout ends the rest.
 */
function passFin(c: HandleConn, toUpstream: boolean): void {
  if (c.clientEof && c.upstreamEof) {
    if (c.toUpstream === 0 && c.toClient === 0) end(c, 'closed');
    return;
  }
  if ((toUpstream ? c.up! : c.client).shutdown(c.uv.newShutdownReq()) < 0) fail(c);
}

function fail(c: HandleConn): void {
  end(c, 'error');
}

/** The routed connection is over: both handles close, and it is counted and logged once. */
function end(c: HandleConn, outcome: Outcome): void {
  if (c.closed) return;
  closeHandles(c);
  const { ctx } = c;
  ctx.upstream.released(c);
  if (c.connected) c.epStats!.active--;
  const o = ctx.forceClosed ? 'drained' : outcome;
  const stats = c.stats!;
  const r = c.route!;
  ctx.metrics.closed(stats, o, c.bytesWritten, c.bytesRead, c.routed);
  if (ctx.access.on) ctx.access.finished(c, { kind: stats.kind, mesh: stats.mesh }, r.route.sni, o, c.bytesWritten, c.bytesRead, r.endpoints[c.idx]?.key);
}
