/**
 * The embeddable egress proxy: one SNI listener, one admin server, one route table swapped
 * atomically by applySnapshot(). `zonectl dp run` and the control-plane session both drive it
 * through this handle; tests run it in-process.
 */
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { ValidationError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { AccessLogBackend, EgressSnapshot, UpstreamSettings } from '../resources/egress-config.js';
import { AccessLog, type RejectionLimit } from './access-log.js';
import { unknownOperators } from './access-log-format.js';
import { createAdminServer, type AdminSource, type ReadyState } from './admin.js';
import { AcceptedSet, attachTerminator, HelloDeadlines, onConnection, type DataPathContext } from './data-path.js';
import { handleAcceptor } from './handle-relay.js';
import { LineWriters, type LineSinks } from './lines.js';
import { revokeDenied } from './enforce.js';
import { EgressMetrics, REJECT_REASONS, type RejectReason, type RouteCounters } from './metrics.js';
import { compileSnapshot, type RouteTable } from './route-table.js';
import { UPSTREAM_DEFAULTS, UpstreamTimers, type ResolvedUpstreamSettings } from './upstream-timers.js';
import { loadUv, type TcpHandle } from './uv.js';

/** `dp run --max-connections` default, as the control plane's listeners (ZONECTL_MAX_CONNECTIONS). */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

export interface EgressOptions {
  /** Listener address (ZoneEgress `networking.address`); default 127.0.0.1 (every interface only when asked). */
  address?: string;
  /** Listener port (ZoneEgress `networking.port`); 0 picks a free one. */
  port: number;
  /** Admin address; default 127.0.0.1 (loopback only). */
  adminAddress?: string;
  /** Admin port (ZoneEgress `networking.admin.port`); 0 picks a free one. */
  adminPort: number;
  /** process_* and nodejs_* series in /stats/prometheus (default true). */
  processMetrics?: boolean;
  /**
   * Serve the admin API (default true). An egress worker does not: the primary answers for all
   * workers (src/egress/workers/). Without it the handle's adminPort is 0.
   */
  serveAdmin?: boolean;
  /** Where whole-line output (access logs) goes; default: written by this process (lines.ts). */
  lines?: LineSinks;
  /** How long drain() lets live connections finish; default 30 s. */
  drainTimeMs?: number;
  /** How long a client may take to send its whole ClientHello; default 5 s. */
  clientHelloTimeoutMs?: number;
  /**
   * Client connections this process holds at once (`dp run --max-connections`, per process: each
   * worker has its own); beyond, a new one is closed at accept, before anything is read, and
   * counted as rejected `max-connections`. Default DEFAULT_MAX_CONNECTIONS.
   */
  maxConnections?: number;
  logger?: Logger;
  /** Applied before listening; when absent, /ready answers 503 INITIALIZING until applySnapshot(). */
  snapshot?: EgressSnapshot;
  /** Apply `snapshot` with `{ partial: true }` (a worker's start: the primary already vetted it). */
  snapshotPartial?: boolean;
  /** Random source for weighted endpoint choice (tests pin it). */
  random?: () => number;
  /** Upstream settings (`dp run` flags); a snapshot's `upstream` section overrides each one it sets. */
  upstream?: UpstreamSettings;
  /** The ZoneEgress name, in access log lines (default: the host name). */
  name?: string;
  /** Access log backends for every route and unrouted connection (`dp run --access-log`), besides the snapshot's. */
  accessLog?: AccessLogBackend[];
  /** Rejection lines allowed per reason (tests lower it). */
  accessLogLimit?: RejectionLimit;
  /**
   * Accept, read ClientHellos and relay passthrough routes on libuv's TCP handles below
   * net.Socket (handle-relay.ts; default true); false keeps every connection on net.Socket.
   * Without the bindings it needs, the egress warns and uses net.Socket. Default: true unless
   * the environment sets ZONECTL_EGRESS_RAW_HANDLES=0 (the escape hatch for `dp run`, workers included).
   */
  rawHandles?: boolean;
}

/** `skipped`: with `partial`, the identities and routes left out (field path: reason). */
export type ApplyResult = { ok: true; version: string; skipped?: string[] } | { ok: false; version: string; reason: string };

export interface ApplyOptions {
  /**
   * Apply the usable part of a snapshot whose single routes or identities do not compile (the
   * control plane's stream: one bad resource must not freeze every route). Default: all or nothing.
   */
  partial?: boolean;
}

export interface EgressStats {
  state: ReadyState;
  version: string | undefined;
  accepted: number;
  rejected: Record<RejectReason, number>;
  upstreamConnectFailures: number;
  routes: Record<string, RouteCounters>;
}

/**
 * What `dp run` drives, whether one egress process (EgressHandle) or a primary with workers
 * (workers/primary.ts, where applying a snapshot waits for every worker).
 */
export interface ProxyHandle {
  readonly address: string;
  readonly port: number;
  readonly adminAddress: string;
  readonly adminPort: number;
  applySnapshot(snapshot: EgressSnapshot, opts?: ApplyOptions): ApplyResult | Promise<ApplyResult>;
  snapshot(): EgressSnapshot | undefined;
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Reopens access log files (after logrotate moved them: SIGUSR1). */
  reopenLogs(): void;
}

export interface EgressHandle extends ProxyHandle {
  readonly address: string;
  readonly port: number;
  readonly adminAddress: string;
  readonly adminPort: number;
  readonly metrics: EgressMetrics;
  /** Validates and atomically swaps the route table; a rejected snapshot leaves the old one in force. */
  applySnapshot(snapshot: EgressSnapshot, opts?: ApplyOptions): ApplyResult;
  /** The snapshot in force (undefined before the first one). */
  snapshot(): EgressSnapshot | undefined;
  /** READY after the first accepted snapshot, TERMINATING once drain() started. */
  state(): ReadyState;
  stats(): EgressStats;
  /** When the snapshot in force was applied. */
  appliedAt(): Date | undefined;
  /** What the admin API reads (the primary of `--workers N` asks each worker for it). */
  readonly adminSource: AdminSource;
  /** /ready turns 503, the listener stops accepting, live connections get drainTimeMs, then all closes. */
  drain(): Promise<void>;
  /** Immediate stop: every connection is destroyed. */
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.removeListener('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * Takes over the listener's accepts for the raw-handle data path (handle-relay.ts); with workers
 * the listening handle is shared, and each process takes over its own. Returns the path in use.
 */
function useHandles(listener: net.Server, ctx: DataPathContext, log: Logger): string {
  const uv = loadUv();
  const handle = (listener as unknown as { _handle?: TcpHandle | null })._handle;
  const why = typeof uv === 'string' ? uv : typeof handle?.onconnection !== 'function' ? 'the listener has no libuv handle' : undefined;
  if (why !== undefined || typeof uv === 'string') {
    log.warn({ reason: why }, 'relaying on net.Socket: libuv TCP handles are not usable here (more CPU per connection)');
    return 'net.Socket';
  }
  // Linux copies TCP_NODELAY from the listening socket to each accepted one: set once here, it
  // saves a setsockopt per connection (elsewhere, or if this fails, each connection sets it).
  const inherited = process.platform === 'linux' && handle!.setNoDelay(true) === 0;
  handle!.onconnection = handleAcceptor(ctx, uv, inherited);
  return 'libuv handles';
}

export async function startEgress(opts: EgressOptions): Promise<EgressHandle> {
  const log = opts.logger ?? silentLogger();
  const metrics = new EgressMetrics({ processMetrics: opts.processMetrics });
  const drainTimeMs = opts.drainTimeMs ?? 30_000;
  const clientHelloTimeoutMs = opts.clientHelloTimeoutMs ?? 5_000;
  let table: RouteTable | undefined;
  let appliedAt: Date | undefined;
  let lastRejection: { version: string; reason: string } | undefined;
  let draining = false;
  const defaults: ResolvedUpstreamSettings = { ...UPSTREAM_DEFAULTS, ...opts.upstream };
  let upstreamSettings = defaults;
  const ownLines = new LineWriters();
  const lines = opts.lines ?? ownLines.sinks();
  const access = new AccessLog({ egress: opts.name ?? hostname(), lines, metrics, always: opts.accessLog, rejectionLimit: opts.accessLogLimit });
  // Upstream and terminated TLS sockets (DataPathContext.live); applySnapshot() re-checks them.
  const live = new Set<net.Socket | tls.TLSSocket>();

  const applySnapshot = (snapshot: EgressSnapshot, applyOpts: ApplyOptions = {}): ApplyResult => {
    const version = typeof snapshot?.version === 'string' ? snapshot.version : '';
    const res = compileSnapshot(snapshot);
    const problems = 'problems' in res ? res.problems : applyOpts.partial ? [] : res.skipped;
    if ('problems' in res || problems.length) {
      const reason = problems.join('; ');
      lastRejection = { version, reason };
      log.warn({ version, reason }, 'rejected routes snapshot; keeping the previous one');
      return { ok: false, version, reason };
    }
    table = res.table;
    access.configure(res.table.snapshot.accessLog);
    for (const b of res.table.snapshot.accessLog?.backends ?? []) {
      const unknown = unknownOperators(b.format);
      if (unknown.length) log.warn({ backend: b.name, operators: unknown }, 'access log format uses operators the egress does not fill; they render as -');
    }
    metrics.syncRoutes(res.table.routes.values());
    upstreamSettings = { ...defaults, ...res.table.snapshot.upstream };
    appliedAt = new Date();
    if (res.skipped.length) {
      const reason = `applied without what could not be used: ${res.skipped.join('; ')}`;
      lastRejection = { version, reason };
      log.warn({ version, routes: res.table.routes.size, skipped: res.skipped }, 'applied routes snapshot without the routes it could not use');
      return { ok: true, version, skipped: res.skipped };
    }
    log.info({ version, routes: res.table.routes.size, meshes: res.table.identities.size }, 'applied routes snapshot');
    if (!snapshot.permissions && res.table.routes.size > 0 && [...res.table.routes.values()].some((r) => r.kind === 'terminating')) {
      log.warn({ version }, 'no permissions section: every client certificate of the mesh may use every external service');
    }
    // Connections a new policy denies are closed now, not when they end.
    revokeDenied(live, res.table, metrics, log);
    return { ok: true, version };
  };
  if (opts.snapshot) {
    const res = applySnapshot(opts.snapshot, { partial: opts.snapshotPartial });
    if (!res.ok) throw new ValidationError(`routes snapshot ${res.version || '(no version)'} rejected: ${res.reason}`, []);
  }
  const state = (): ReadyState => (draining ? 'TERMINATING' : table ? 'READY' : 'INITIALIZING');

  const terminator = tls.createServer({
    // Contexts come per SNI from the mesh identities; the client certificate is verified against
    // the CA of the chosen context.
    SNICallback: (servername, cb) => {
      const r = table?.routes.get(servername);
      const ctx = r?.kind === 'terminating' ? r.identity : undefined;
      cb(ctx ? null : new Error(`no terminating route for SNI ${servername}`), ctx);
    },
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: clientHelloTimeoutMs,
  });
  const ctx: DataPathContext = {
    table: () => table,
    metrics,
    log,
    clientHelloTimeoutMs,
    terminator,
    random: opts.random ?? Math.random,
    live,
    forceClosed: false,
    deadlines: new HelloDeadlines(clientHelloTimeoutMs),
    upstream: new UpstreamTimers(() => upstreamSettings),
    lines,
    access,
    accepted: {
      add: (c) => pending.add(c),
      delete: (c) => {
        pending.delete(c);
        if (pending.size === 0) onIdle?.();
      },
      get size() {
        return pending.size;
      },
    },
    maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    // Over the cap a connection is closed before anything is read, so the process keeps the
    // descriptors its relays and upstreams need; a flood is logged at most every 10 s.
    refused: (remoteAddress, remotePort) => {
      metrics.reject('max-connections');
      if (access.on) access.refused(remoteAddress, remotePort, 'max-connections');
      const now = performance.now();
      if (now - lastRefusalLog < 10_000) return;
      lastRefusalLog = now;
      log.warn({ maxConnections: ctx.maxConnections, refusedSoFar: metrics.rejected['max-connections'] }, 'connection limit reached: refusing new connections (raise --max-connections if this load is expected)');
    },
  };
  let lastRefusalLog = -Infinity;
  attachTerminator(ctx);

  // Every accepted connection, routed or not, so close() and drain leave nothing behind.
  const pending = new AcceptedSet();
  /** Set while draining: called when the last accepted connection closed. */
  let onIdle: (() => void) | undefined;
  // One shared listener rather than a closure per connection ('close' fires once).
  const forget = function (this: net.Socket) {
    ctx.accepted.delete(this);
  };
  const listener = net.createServer({ allowHalfOpen: true, noDelay: true }, (sock) => {
    if (pending.size >= ctx.maxConnections) {
      ctx.refused(sock.remoteAddress, sock.remotePort);
      return void sock.destroy();
    }
    pending.add(sock);
    sock.on('close', forget);
    onConnection(ctx, sock);
  });
  const adminSource: AdminSource = { state, table: () => table, metrics, appliedAt: () => appliedAt, lastRejection: () => lastRejection };
  const admin = opts.serveAdmin === false ? undefined : createAdminServer(adminSource);
  const address = opts.address ?? '127.0.0.1';
  const adminAddress = opts.adminAddress ?? '127.0.0.1';
  const adminPort = admin ? await listen(admin, opts.adminPort, adminAddress) : 0;
  let port: number;
  try {
    port = await listen(listener, opts.port, address);
  } catch (err) {
    admin?.close();
    throw err;
  }
  const rawHandles = opts.rawHandles ?? process.env.ZONECTL_EGRESS_RAW_HANDLES !== '0';
  const dataPath = rawHandles ? useHandles(listener, ctx, log) : 'net.Socket';
  if (admin) log.info({ address, port, adminAddress, adminPort, dataPath }, 'egress listening');
  else log.debug({ address, port, dataPath }, 'egress worker listening');

  const destroyAll = () => {
    pending.forEach((s) => s.destroy());
    for (const s of ctx.live) s.destroy();
  };
  const closeServers = async () => {
    if (listener.listening) await new Promise<void>((r) => listener.close(() => r()));
    await closeAdmin();
    access.close();
    await ownLines.close();
  };
  const closeAdmin = async () => {
    if (!admin) return;
    admin.closeAllConnections();
    await new Promise<void>((r) => admin.close(() => r()));
  };
  let drained: Promise<void> | undefined;
  const drain = (): Promise<void> =>
    (drained ??= (async () => {
      draining = true;
      log.info({ drainTimeMs, connections: pending.size }, 'draining: stopped accepting');
      // Stop accepting now; done once every accepted connection closed (net.Server.close()'s
      // callback would not wait for those accepted on raw handles: the server does not count them).
      listener.close();
      if (pending.size > 0) {
        await new Promise<void>((resolve) => {
          const deadline = setTimeout(() => {
            ctx.forceClosed = true;
            log.info({ connections: pending.size }, 'drain time over: closing the remaining connections');
            destroyAll();
          }, drainTimeMs);
          onIdle = () => {
            clearTimeout(deadline);
            resolve();
          };
        });
      }
      await closeAdmin();
      access.close();
      await ownLines.close();
    })());

  return {
    address,
    port,
    adminAddress,
    adminPort,
    metrics,
    applySnapshot,
    snapshot: () => table?.snapshot,
    state,
    appliedAt: () => appliedAt,
    adminSource,
    stats: () => ({
      state: state(),
      version: table?.snapshot.version,
      accepted: metrics.accepted,
      rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, metrics.rejected[r]])) as Record<RejectReason, number>,
      upstreamConnectFailures: metrics.upstreamConnectFailures,
      routes: Object.fromEntries([...metrics.routes].map(([k, v]) => [k, { ...v, outcomes: { ...v.outcomes } }])),
    }),
    drain,
    reopenLogs: () => ownLines.reopen(),
    close: async () => {
      draining = true;
      ctx.forceClosed = true;
      destroyAll();
      ctx.upstream.stop();
      await closeServers();
    },
  };
}
