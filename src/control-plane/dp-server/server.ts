/**
 * The dp-server: the HTTPS endpoint egresses talk to (docs/egress-protocol.md). Bootstrap
 * registers the egress's ZoneEgress; the stream pushes versioned snapshots; acks and rejects come
 * back on a side request. Each stream is a subscription in the egress's ZoneEgressInsight.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, UnavailableError, UsageError, ValidationError, isZonectlError, type Violation } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { EgressSnapshot } from '../../resources/egress-config.js';
import { EGRESS_PROTOCOL_PATHS, NDJSON, type AckRequest, type BootstrapResponse, type StreamMessage } from '../../resources/egress-protocol.js';
import type { Resource } from '../../resources/types.js';
import { assertDepth } from '../../resources/limits.js';
import { validateResource } from '../../resources/validate.js';
import { kindByType } from '../../resources/kinds.js';
import { EgressConfigSource } from '../egress-config/from-store.js';
import { computeLabels, labelViolations } from '../resources/labels.js';
import type { Store } from '../store/types.js';
import { applyServerLimits, capPipelining, connectionsCheckingInterval, SERVER_LIMITS_DEFAULTS, type ServerLimits } from '../server/limits.js';
import { bearer, readJson, sendJson } from './http.js';
import { SnapshotHub } from './hub.js';
import { Registrations, tokenIdOf, type RegistrationLimits } from './registrations.js';
import { InsightRecorder } from './insights.js';
import { routeRequests, StreamingServer, writeLine } from './streaming.js';
import { ensureDpServerTls, type DpServerTls } from './tls.js';

export interface DpServerOptions {
  store: Store;
  /** This control plane's zone; written into every bootstrapped ZoneEgress. */
  zone: string;
  instanceId: string;
  /** zonectl version, reported in the bootstrap response. */
  version: string;
  /** Where the auto-generated dp-server CA and certificate live (`<dataDir>/dp-server/`). */
  dataDir: string | undefined;
  /**
   * Verifies a zone token for the `egress` scope and this zone; throws UnauthorizedError (401)
   * or ForbiddenError (403) whose message the egress prints verbatim.
   */
  authenticate: (token: string) => Promise<unknown>;
  logger?: Logger;
  /** 5678 by default in `control-plane run`; 0 picks a free port. */
  port: number;
  address?: string;
  /** The operator's certificate; absent = auto-generated in the data dir. */
  tls?: { certPem: string; keyPem: string };
  /** Extra names for the auto-generated server certificate. */
  tlsNames?: string[];
  /** The CA to issue the auto-generated server certificate from (default: one in the data dir). */
  tlsCa?: { certFile: string; keyFile: string };
  clock?: Clock;
  heartbeatMs?: number;
  debounceMs?: number;
  /** Create missing builtin mesh CAs (default true; a zone's come from the global). */
  createMeshCa?: boolean;
  /** Resource validation (defaults to the shared validator). */
  validate?: (doc: unknown) => Violation[];
  /** Connection cap and timeouts (server/limits.ts); the idle timeout is at least 3 heartbeats. */
  limits?: Partial<ServerLimits>;
  /** What one zone token may register, and how fast (registrations.ts). */
  registrationLimits?: Partial<RegistrationLimits>;
  /** Counts snapshot pushes, acks and rejections (the control plane's CpMetrics). */
  metrics?: { snapshotPushed(): void; snapshotAcked(accepted: boolean): void };
}

export interface DpServer {
  port: number;
  address: string;
  /** The CA egresses must trust, when the certificate was auto-generated. */
  caCertFile?: string;
  caPem?: string;
  /** Number of open config streams. */
  streams(): number;
  /** Distinct egresses with an open config stream. */
  connectedEgresses(): number;
  /** Names of the egresses whose open streams authenticated with a token of signing key `kid`. */
  egressesSignedBy(kid: number): string[];
  /** Recompute the snapshot now; resolves when the result went out. */
  refresh(): Promise<void>;
  /** Leader work: records the end of streams whose control-plane instance vanished (see leader.ts). */
  markVanished(dead: Set<string>): Promise<number>;
  /** Ends every stream (recording disconnectTime), stops listening, waits for insight writes. */
  close(): Promise<void>;
}

interface OpenStream {
  id: string;
  name: string;
  res: ServerResponse;
  sent: Set<string>;
  lastSent?: string;
  heartbeat: NodeJS.Timeout;
  token: string;
  /** Serial of the signing key that signed the stream's token, when the verifier says. */
  kid?: number;
}

const DEFAULT_HEARTBEAT_MS = 10_000;
const ZONE_EGRESS = kindByType('ZoneEgress')!;

/** A ZoneEgress is a few hundred bytes; 64 KiB leaves room for labels without inviting floods. */
export const MAX_BOOTSTRAP_BODY = 64 * 1024;

export async function startDpServer(opts: DpServerOptions): Promise<DpServer> {
  const log = opts.logger ?? silentLogger();
  const clock = opts.clock ?? systemClock;
  const validate = opts.validate ?? ((doc: unknown) => validateResource(doc));
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const tls: DpServerTls = opts.tls ?? (await ensureDpServerTls(opts.dataDir, opts.tlsNames, opts.tlsCa, opts.store));
  const source = new EgressConfigSource({ store: opts.store, zone: opts.zone, clock, logger: log, createMeshCa: opts.createMeshCa });
  const hub = new SnapshotHub({ store: opts.store, source, logger: log, debounceMs: opts.debounceMs });
  const insights = new InsightRecorder(opts.store, clock, log);
  const streams = new Map<string, OpenStream>();
  const registrations = new Registrations(opts.registrationLimits);

  function write(s: OpenStream, msg: StreamMessage): void {
    writeLine(s.res, msg);
  }

  function push(s: OpenStream, snapshot: EgressSnapshot): void {
    if (s.lastSent === snapshot.version) return;
    s.lastSent = snapshot.version;
    s.sent.add(snapshot.version);
    write(s, { type: 'snapshot', snapshot });
    opts.metrics?.snapshotPushed();
    void insights.record(s.name, s.id, 'sent');
    log.info({ egress: s.name, stream: s.id, version: snapshot.version }, 'sent egress config');
  }

  hub.subscribe((snapshot) => {
    for (const s of streams.values()) push(s, snapshot);
  });
  hub.start();

  /**
   * A fresh look at the token: one that is no longer valid (revoked, expired, its signing key
   * deleted) ends the stream with a `closing` line saying why, which the egress logs; its
   * reconnect then fails at bootstrap with the same reason.
   */
  function recheck(s: OpenStream): void {
    opts.authenticate(s.token).catch((err: unknown) => {
      if (!isZonectlError(err) || (err.status !== 401 && err.status !== 403) || s.res.writableEnded) return;
      log.warn({ egress: s.name, stream: s.id, reason: err.message }, 'zone token no longer valid; ending the config stream');
      write(s, { type: 'closing', reason: 'token-invalid', message: `the control plane no longer accepts this egress's zone token: ${err.message}. Generate a new token (zonectl generate zone-token --zone <zone> --scope egress --valid-for <duration>) and restart the egress with it` });
      s.res.end();
    });
  }

  /** Heartbeat, and a recheck of the token (expiry). */
  function beat(s: OpenStream): void {
    write(s, { type: 'heartbeat' });
    recheck(s);
  }

  // A deleted signing key or a new revocation ends the affected streams now, not at the next beat.
  // setImmediate: the verifier's caches drop the old key on the same change feed first.
  const unwatchKeys = opts.store.watch((change) => {
    if (change.key.type !== 'GlobalSecret' || !/^zone-token-(signing-key-\d+|revocations)$/.test(change.key.name)) return;
    setImmediate(() => {
      for (const s of streams.values()) recheck(s);
    });
  });

  async function bootstrap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = bearer(req);
    const tokenId = tokenIdOf(await opts.authenticate(token), token);
    registrations.admitBootstrap(tokenId);
    const body = (await readJson(req, MAX_BOOTSTRAP_BODY)) as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object') throw new ValidationError('bootstrap request must be a JSON object', [], 'Bad Request');
    if (body.proxyType !== undefined && body.proxyType !== 'egress') {
      throw new ValidationError('Resource is not valid', [{ field: 'proxyType', message: `proxy type ${JSON.stringify(body.proxyType)} is not served here: zonectl's dp-server serves only egress` }]);
    }
    let resource = body.dataplaneResource as unknown;
    if (typeof resource === 'string') {
      try {
        resource = JSON.parse(resource);
      } catch {
        throw new ValidationError('Resource is not valid', [{ field: 'dataplaneResource', message: 'must be a ZoneEgress resource as JSON' }]);
      }
      assertDepth(resource, 'dataplaneResource');
    }
    if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
      throw new ValidationError('Resource is not valid', [{ field: 'dataplaneResource', message: 'must be a ZoneEgress resource' }]);
    }
    const r = { ...(resource as Resource) };
    if (r.type !== 'ZoneEgress') {
      throw new ValidationError('Resource is not valid', [{ field: 'type', message: `must be ZoneEgress for --proxy-type=egress, got ${JSON.stringify(r.type ?? null)}` }]);
    }
    r.zone = opts.zone;
    delete r.creationTime;
    delete r.modificationTime;
    // The labels a PUT computes (kuma.io/origin, zone, env, proxy-type), from the same code. The
    // mode is never global here: a global runs no dp-server.
    const labelCtx = { mode: undefined, zone: opts.zone };
    const violations = [...validate(r), ...labelViolations(r, labelCtx)];
    if (violations.length) throw new ValidationError('Resource is not valid', violations);
    r.labels = computeLabels(ZONE_EGRESS, r, labelCtx);
    registrations.checkOwner(r.name, tokenId);
    registrations.register(r.name, tokenId);
    await opts.store.upsert(r);
    const version = (body.version as { kumaDp?: { version?: unknown } } | undefined)?.kumaDp?.version;
    log.info({ egress: r.name, zone: opts.zone, version }, 'zone egress bootstrapped');
    const out: BootstrapResponse = { name: r.name, zone: opts.zone, controlPlane: { instanceId: opts.instanceId, version: opts.version } };
    sendJson(res, 200, out);
  }

  async function stream(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = (await opts.authenticate(bearer(req))) as { kid?: unknown } | undefined;
    const tokenId = tokenIdOf(auth, bearer(req));
    const name = url.searchParams.get('name') ?? '';
    if (!name) throw new ValidationError('Resource is not valid', [{ field: 'name', message: 'query parameter name (the ZoneEgress name) is required' }]);
    try {
      await opts.store.get({ type: 'ZoneEgress', name });
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`zone egress ${name} is not registered with this control plane: bootstrap first (POST ${EGRESS_PROTOCOL_PATHS.bootstrap})`);
      throw err;
    }
    if (streaming.isClosing) throw new UnavailableError('control plane is shutting down: reconnect to another instance or retry');
    // The egress may have gone during the awaits above: its 'close' already fired, so nothing would end this stream.
    if (req.socket.destroyed) return;
    // Checked after the awaits, so two streams racing for one name cannot both pass.
    registrations.checkOwner(name, tokenId);
    registrations.streamOpened(name, tokenId);
    const id = randomUUID();
    res.writeHead(200, { 'content-type': NDJSON, 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    req.socket.setKeepAlive(true, heartbeatMs);
    const kid = typeof auth?.kid === 'number' ? auth.kid : undefined;
    const s: OpenStream = { id, name, res, sent: new Set(), token: bearer(req), kid, heartbeat: setInterval(() => beat(s), heartbeatMs) };
    streams.set(id, s);
    void insights.connected(name, { id, controlPlaneInstanceId: opts.instanceId, version: url.searchParams.get('version') ?? '' });
    log.info({ egress: name, stream: id }, 'egress config stream opened');
    res.on('close', () => {
      clearInterval(s.heartbeat);
      streams.delete(id);
      registrations.streamClosed(name, tokenId);
      void insights.record(name, id, 'disconnected');
      log.info({ egress: name, stream: id }, 'egress config stream closed');
    });
    write(s, { type: 'hello', streamId: id, controlPlaneInstanceId: opts.instanceId, heartbeatMs });
    const snapshot = await hub.snapshot();
    if (streams.has(id)) push(s, snapshot);
  }

  async function ack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await opts.authenticate(bearer(req));
    const body = (await readJson(req)) as Partial<AckRequest> | null;
    if (!body || typeof body.streamId !== 'string' || typeof body.version !== 'string' || typeof body.accepted !== 'boolean') {
      throw new ValidationError('Resource is not valid', [{ field: '', message: 'ack must be {"streamId": string, "version": string, "accepted": boolean, "reason"?: string}' }]);
    }
    const s = streams.get(body.streamId);
    if (!s) throw new NotFoundError(`stream ${body.streamId} is not open on this control plane instance`);
    if (!s.sent.has(body.version)) throw new ConflictError(`version ${body.version} was not sent on stream ${body.streamId}`);
    opts.metrics?.snapshotAcked(body.accepted);
    if (body.accepted) {
      await insights.record(s.name, s.id, 'acked');
    } else {
      log.warn({ egress: s.name, stream: s.id, version: body.version, reason: String(body.reason ?? '') }, 'egress rejected config');
      await insights.record(s.name, s.id, 'rejected');
    }
    sendJson(res, 200, {});
  }

  const limits: ServerLimits = { ...SERVER_LIMITS_DEFAULTS, ...opts.limits };
  // A config stream is silent between heartbeats; only a stream silent for longer is dead.
  limits.idleTimeoutMs = Math.max(limits.idleTimeoutMs, 3 * heartbeatMs);
  const requests = routeRequests({
    routes: { [`POST ${EGRESS_PROTOCOL_PATHS.bootstrap}`]: bootstrap, [`GET ${EGRESS_PROTOCOL_PATHS.stream}`]: stream, [`POST ${EGRESS_PROTOCOL_PATHS.ack}`]: ack },
    log,
    failedMessage: 'dp-server request failed',
    refusedStatuses: [401, 403],
    refusedMessage: 'egress authentication failed',
    rejectMalformed: true,
  });
  const server = createServer({ cert: tls.certPem, key: tls.keyPem, handshakeTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: connectionsCheckingInterval(limits) }, capPipelining(requests, log, 'dp-server'));
  applyServerLimits(server, limits, log, 'dp-server');
  const streaming = new StreamingServer(server);
  const host = opts.address ?? '127.0.0.1';
  const addr = await streaming.listen(opts.port, host, (code) => {
    hub.close();
    // The address and port come from flags: a port in use is a usage error (exit 2) naming the flag.
    return new UsageError(`--dp-port ${opts.port}: the dp-server cannot listen on ${host}:${opts.port}: ${code}${code === 'EADDRINUSE' ? ' (is another control plane running? pick another --dp-port, or 0 for a free one)' : ''}`);
  });
  log.info({ address: addr.address, port: addr.port }, 'dp-server listening');

  return {
    port: addr.port,
    address: addr.address,
    caCertFile: tls.caCertFile,
    caPem: tls.caPem,
    streams: () => streams.size,
    connectedEgresses: () => new Set([...streams.values()].map((s) => s.name)).size,
    egressesSignedBy: (kid) => [...new Set([...streams.values()].filter((s) => s.kid === kid).map((s) => s.name))].sort(),
    refresh: () => hub.refresh(),
    markVanished: (dead) => insights.markVanished(dead),
    async close() {
      unwatchKeys();
      hub.close();
      await streaming.close(
        () => {
          for (const s of [...streams.values()]) s.res.end();
        },
        () => insights.flush(),
      );
    },
  };
}
