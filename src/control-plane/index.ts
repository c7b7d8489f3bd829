/**
 * The control plane as a library: `startControlPlane(opts)` opens the store, mounts the API
 * modules (src/control-plane/server/modules.ts), and listens; `stop()` shuts down gracefully.
 * The CLI command (`zonectl control-plane run`), the demo and the tests all go through here.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { UsageError, isZonectlError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { AdminAuth, loadOrCreateAdminToken } from './server/auth.js';
import { DEFAULT_BODY_LIMIT } from './server/body.js';
import { applyServerLimits, capPipelining, connectionsCheckingInterval, SERVER_LIMITS_DEFAULTS, type ServerLimits } from './server/limits.js';
import { problem } from './server/problem.js';
import { createHandler } from './server/http.js';
import { apiModules } from './server/modules.js';
import { Router } from './server/router.js';
import { autoTls, readTlsFiles, type TlsMaterial } from './server/tls.js';
import type { ApiContext, ApiModule, ApiModuleInstance } from './server/types.js';
import { soleLeader, startLeaderElection, type Leadership } from './leader.js';
import { CpMetrics } from './metrics/metrics.js';
import { instrumentStore } from './metrics/store.js';
import { createMemoryStore } from './store/memory.js';
import { openPostgresStore } from './store/postgres/store.js';
import type { PostgresConnectOptions } from './store/postgres/connect.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/types.js';
import type { CpMode } from '../resources/kds.js';

export type StoreKind = 'sqlite' | 'memory' | 'postgres';

export interface ControlPlaneOptions {
  /** Data directory: store.db, admin-token, api-tls/, CA material of other modules. Created if missing. */
  /**
   * Store file, admin token and certificates; undefined keeps everything in memory (with the memory
   * store nothing is written to disk at all).
   */
  dataDir?: string;
  /** HTTP API port (default 5681; 0 = any free port, see `url`). */
  apiPort?: number;
  /** Address the API listens on (default 127.0.0.1). */
  apiAddress?: string;
  /** HTTPS API port (default 5682); HTTPS is served only with apiTlsCert+apiTlsKey or apiTlsAuto. */
  apiTlsPort?: number;
  apiTlsCert?: string;
  apiTlsKey?: string;
  apiTlsAuto?: boolean;
  /** The egress dp-server port (default 5678), passed to modules as `options.dpPort`. */
  dpPort?: number;
  /** This control plane's zone (default `default`; a global has none). */
  zone?: string;
  /** standalone (default), global or zone; see docs/multizone.md. */
  mode?: CpMode;
  /** Which store (default sqlite at <dataDir>/store.db), or a ready Store instance (closed on stop). */
  store?: StoreKind | Store;
  /**
   * Leader election among instances sharing the store (src/control-plane/leader.ts): on by default
   * with `store: 'postgres'`, off (this instance leads) otherwise; an object sets its timing.
   */
  leaderElection?: boolean | { renewMs?: number; ttlMs?: number };
  /** Connection settings of `store: 'postgres'` (URL, password file, pool size). */
  postgres?: Partial<PostgresConnectOptions>;
  /** Callers from 127.0.0.1/::1 are admins (default true, Kuma's localhostIsAdmin). */
  localhostIsAdmin?: boolean;
  clock?: Clock;
  log?: Logger;
  /** Route modules to mount (default: apiModules of server/modules.ts). */
  modules?: ApiModule[];
  /** Extra server-wide options for modules (ApiContext.options). */
  options?: Record<string, unknown>;
  /** Maximum request body in bytes (default 2 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** How long stop() waits for in-flight requests before cutting connections (default 10 s). */
  shutdownGraceMs?: number;
  /** Connection cap and timeouts of the API listeners and the dp-server (server/limits.ts). */
  limits?: Partial<ServerLimits>;
  /** process_* and nodejs_* series in GET /metrics (default true). */
  processMetrics?: boolean;
}

export interface ControlPlane {
  /** `http://<address>:<port>` actually bound (valid after start). */
  readonly url: string;
  /** `https://...` when HTTPS is on. */
  readonly tlsUrl: string | undefined;
  /** CA certificate file clients should trust for tlsUrl (auto TLS only). */
  readonly tlsCaFile: string | undefined;
  readonly store: Store;
  readonly adminToken: string;
  readonly instanceId: string;
  readonly clusterId: string;
  readonly leadership: Leadership;
  readonly dataDir: string | undefined;
  readonly ctx: ApiContext;
  /** This instance's Prometheus series (GET /metrics). */
  readonly metrics: CpMetrics;
  /** Resolves once every listener and the store are closed. */
  stop(): Promise<void>;
}

export const DEFAULTS = { apiPort: 5681, apiAddress: '127.0.0.1', apiTlsPort: 5682, dpPort: 5678, zone: 'default', dataDir: './.zonectl', store: 'sqlite' as StoreKind };

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface OpenStoreOptions {
  clock: Clock;
  postgres?: Partial<PostgresConnectOptions>;
  /** Recorded with the changes this instance writes (postgres). */
  instanceId?: string;
  log?: Logger;
}

export async function openStore(kind: StoreKind, dataDir: string | undefined, opts: OpenStoreOptions): Promise<Store> {
  const { clock } = opts;
  if (kind === 'memory') return createMemoryStore({ clock });
  if (kind === 'sqlite') {
    if (dataDir === undefined) throw new UsageError('the sqlite store needs a data directory (--data-dir)');
    return openSqliteStore({ path: join(dataDir, 'store.db'), clock });
  }
  if (kind === 'postgres') {
    const url = opts.postgres?.url;
    if (!url) throw new UsageError('--store postgres needs the database: give --postgres-url postgres://USER@HOST:5432/DATABASE (or ZONECTL_POSTGRES_URL)');
    const log = opts.log;
    return openPostgresStore({ ...opts.postgres, url, clock, instanceId: opts.instanceId, onProblem: log && ((what, err) => log.warn({ err: err === undefined ? undefined : String((err as Error).message ?? err) }, what)) });
  }
  throw new UsageError(`unknown store "${String(kind)}"; use sqlite, memory or postgres`);
}

/** Starts a control plane; the returned handle's stop() shuts it down. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger();
  const apiAddress = opts.apiAddress ?? DEFAULTS.apiAddress;
  if ((opts.apiTlsCert === undefined) !== (opts.apiTlsKey === undefined)) throw new UsageError('--api-tls-cert and --api-tls-key go together; give both, or use --api-tls-auto');
  if (opts.dataDir !== undefined) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const tls: TlsMaterial | undefined = opts.apiTlsCert && opts.apiTlsKey ? readTlsFiles(opts.apiTlsCert, opts.apiTlsKey) : opts.apiTlsAuto ? await autoTls(opts.dataDir, apiAddress) : undefined;
  const instanceId = randomUUID();
  const storeType = typeof opts.store === 'object' ? 'custom' : (opts.store ?? DEFAULTS.store);
  const rawStore = typeof opts.store === 'object' ? opts.store : await openStore(opts.store ?? DEFAULTS.store, opts.dataDir, { clock, postgres: opts.postgres, instanceId, log });
  const metrics = new CpMetrics({ processMetrics: opts.processMetrics });
  const store = instrumentStore(rawStore, metrics, storeType);
  const servers: Server[] = [];
  const instances: ApiModuleInstance[] = [];
  let stopping: Promise<void> | undefined;
  try {
    const adminToken = loadOrCreateAdminToken(opts.dataDir);
    const clusterId = await loadClusterId(store);
    // Only a shared store has several instances to elect among; a single one simply leads.
    const shared = opts.store === 'postgres' || (opts.leaderElection !== undefined && opts.leaderElection !== false);
    const election = typeof opts.leaderElection === 'object' ? opts.leaderElection : {};
    const leadership: Leadership = shared ? startLeaderElection({ store, instanceId, log, ...election }) : soleLeader(instanceId);
    // Stopped after every module (they stop in reverse order), before the store closes.
    instances.push({ routes: [], stop: () => leadership.stop() });
    const ctx: ApiContext = {
      store,
      clock,
      zone: opts.mode === 'global' ? '' : (opts.zone ?? DEFAULTS.zone),
      mode: opts.mode ?? 'standalone',
      instanceId,
      version: VERSION,
      dataDir: opts.dataDir,
      log,
      deleteGuards: [],
      leadership,
      metrics,
      options: { dpPort: opts.dpPort ?? DEFAULTS.dpPort, serverLimits: { ...SERVER_LIMITS_DEFAULTS, ...opts.limits }, apiAddress, localhostIsAdmin: opts.localhostIsAdmin ?? true, clusterId, ...opts.options },
    };
    const router = new Router();
    for (const mod of opts.modules ?? apiModules) {
      const out = await mod(ctx);
      const inst = Array.isArray(out) ? { routes: out } : out;
      inst.routes.forEach((r) => router.add(r));
      instances.push(inst);
    }
    for (const inst of instances) await inst.start?.();
    const auth = new AdminAuth(adminToken, opts.localhostIsAdmin ?? true);
    const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const limits: ServerLimits = { ...SERVER_LIMITS_DEFAULTS, ...opts.limits };
    const draining = () => stopping !== undefined;
    const http = createServer({ connectionsCheckingInterval: connectionsCheckingInterval(limits) }, capPipelining(refuseHttp09(createHandler({ router, auth, log, bodyLimit, protocol: 'http', draining, metrics })), log, 'api'));
    servers.push(http);
    const url = await listen(http, opts.apiPort ?? DEFAULTS.apiPort, apiAddress, 'http', '--api-port');
    let tlsUrl: string | undefined;
    if (tls) {
      const https = createHttpsServer({ cert: tls.certPem, key: tls.keyPem, handshakeTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: connectionsCheckingInterval(limits) }, capPipelining(refuseHttp09(createHandler({ router, auth, log, bodyLimit, protocol: 'https', draining, metrics })), log, 'api-tls'));
      servers.push(https);
      tlsUrl = await listen(https, opts.apiTlsPort ?? DEFAULTS.apiTlsPort, apiAddress, 'https', '--api-tls-port');
    }
    for (const s of servers) {
      applyServerLimits(s, limits, log, s === http ? 'api' : 'api-tls');
      s.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        if (!socket.writable) return void socket.destroy();
        socket.end(clientErrorResponse(err));
        // end() waits for the client to read the answer; one that never does must not keep the socket.
        socket.setTimeout(CLIENT_ERROR_LINGER_MS, () => socket.destroy());
      });
    }
    log.info({ url, tlsUrl, mode: ctx.mode, zone: ctx.zone, store: storeType, instanceId: ctx.instanceId }, 'control plane started');
    return {
      url,
      tlsUrl,
      tlsCaFile: tls?.caFile,
      store,
      adminToken,
      instanceId: ctx.instanceId,
      clusterId,
      leadership,
      dataDir: opts.dataDir,
      ctx,
      metrics,
      stop: () => (stopping ??= shutdown(servers, instances, store, log, opts.shutdownGraceMs ?? 10_000)),
    };
  } catch (err) {
    await shutdown(servers, instances, store, log, 0);
    throw err;
  }
}

const CLIENT_ERROR_LINGER_MS = 2000;

/** A request node:http cannot parse (bad request line, headers too large) still gets problem details. */
function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify(problem(status, title, `the request is not valid HTTP/1.1 (${err.code ?? err.message}); nothing was changed`));
  return `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * node:http accepts HTTP/0.9 request lines (`GET /path` with no version) and answers them as
 * HTTP/1.1; nothing legitimate sends one, and proxies and smuggling attempts treat them apart.
 */
function refuseHttp09(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.httpVersionMajor >= 1) return handler(req, res);
    const body = JSON.stringify(problem(505, 'HTTP Version Not Supported', 'HTTP/0.9 requests are not served: send HTTP/1.1 (curl, kumactl and zonectl do)'));
    res.writeHead(505, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };
}

function listen(server: Server, port: number, address: string, proto: string, flag: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ` (another control plane running? pick another port with ${flag}, or 0 for a free one)` : '';
      reject(new UsageError(`${flag} ${port}: cannot listen on ${address}:${port}: ${err.message}${hint}`));
    });
    server.listen(port, address, () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`${proto}://${host}:${a.port}`);
    });
  });
}

/**
 * Stop accepting, let modules end their long-lived streams, wait for in-flight requests (bounded
 * by graceMs, then cut), and close the store last so every acknowledged write is committed.
 */
async function shutdown(servers: Server[], instances: ApiModuleInstance[], store: Store, log: Logger, graceMs: number): Promise<void> {
  const closed = servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())));
  for (const s of servers) s.closeIdleConnections();
  for (const inst of [...instances].reverse()) {
    try {
      await inst.stop?.();
    } catch (err) {
      log.warn({ err }, 'a module failed to stop cleanly');
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  if ((await Promise.race([Promise.all(closed), timeout])) === 'timeout') {
    log.warn({ graceMs }, 'in-flight requests did not finish in time; closing their connections');
    for (const s of servers) s.closeAllConnections();
    await Promise.all(closed);
  }
  clearTimeout(timer);
  await store.close();
  log.info('control plane stopped');
}

/** A random id made at the first start and kept in the store (shared by every instance on it). */
async function loadClusterId(store: Store): Promise<string> {
  const key = { type: 'ControlPlaneInfo', name: 'cluster' };
  return store.withLock('cluster-id', async () => {
    try {
      return String((await store.get(key)).resource.clusterId);
    } catch (err) {
      if (!(isZonectlError(err) && err.code === 'not-found')) throw err;
      const id = randomUUID();
      await store.create({ ...key, clusterId: id });
      return id;
    }
  });
}

export type { ApiContext, ApiModule, ApiModuleInstance, ApiRoute } from './server/types.js';
export type { Store, StoreChange } from './store/types.js';
export { createMemoryStore } from './store/memory.js';
export { openSqliteStore } from './store/sqlite.js';
export { openPostgresStore } from './store/postgres/store.js';
