/**
 * The global's KDS server (docs/multizone.md): zone control planes open one long-lived stream
 * each (`POST /kds/v1/global-to-zone`, NDJSON), on which the global sends the resources that zone
 * should hold, first what differs from the versions the zone says it has, then every change as it
 * happens; the zone acks each step, and pushes its own resources with `POST /kds/v1/zone-to-global`.
 * Each stream is a subscription in the zone's ZoneInsight.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, ForbiddenError, isZonectlError, NotFoundError, UnavailableError, ValidationError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { kdsRule } from '../../resources/kds.js';
import { kindByType } from '../../resources/kinds.js';
import { KDS_PATHS, parseKeyString, type ChangesMessage, type GlobalMessage, type KdsAck, type ResourceKeyString, type WireKey, type ZoneChanges, type ZoneHello } from '../../resources/multizone-protocol.js';
import type { Resource } from '../../resources/types.js';
import { validateResource } from '../../resources/validate.js';
import { TokenError, type VerifiedZoneToken } from '../../tokens/index.js';
import { bearer, readJson, sendJson } from '../dp-server/http.js';
import { InsightRecorder } from '../dp-server/insights.js';
import { routeRequests, StreamingServer, writeLine } from '../dp-server/streaming.js';
import type { DpServerTls } from '../dp-server/tls.js';
import type { Store, Unsubscribe } from '../store/types.js';
import { GlobalIndex, type IndexEntry } from './global-index.js';
import { globalKeyOfZoneKey, globalStoredFromZone } from './mapping.js';

export interface GlobalServerOptions {
  store: Store;
  instanceId: string;
  version: string;
  /** Verifies a zone token for scope `cp` (any zone); throws TokenError. */
  authenticate: (token: string) => Promise<VerifiedZoneToken>;
  tls: DpServerTls;
  port: number;
  address?: string;
  clock?: Clock;
  logger?: Logger;
  heartbeatMs?: number;
  /** Delay between the first change of a burst and sending it (default 10 ms). */
  debounceMs?: number;
  /** Resources per `changes` message during an initial sync (default 1000). */
  chunkSize?: number;
}

export interface GlobalServer {
  port: number;
  caCertFile?: string;
  /** Zones connected to this instance now. */
  connectedZones(): string[];
  close(): Promise<void>;
}

interface ZoneStream {
  id: string;
  zone: string;
  zoneInstanceId: string;
  res: ServerResponse;
  /** What the zone holds (or is being sent), by key: version. */
  sent: Map<ResourceKeyString, string>;
  nonce: number;
  token: string;
  heartbeat: NodeJS.Timeout;
  connectTime: string;
}

const DEFAULT_HEARTBEAT_MS = 10_000;
const ZONE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export async function startGlobalServer(opts: GlobalServerOptions): Promise<GlobalServer> {
  const log = opts.logger ?? silentLogger();
  const clock = opts.clock ?? systemClock;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const chunkSize = opts.chunkSize ?? 5000;
  const index = new GlobalIndex();
  await index.load(opts.store);
  const insights = new InsightRecorder(opts.store, clock, log, 'ZoneInsight');
  const streams = new Map<string, ZoneStream>();
  const byZone = new Map<string, ZoneStream>();

  // Changes are gathered for a few ms and sent as one step per zone.
  const pending = new Set<ResourceKeyString>();
  let timer: NodeJS.Timeout | undefined;
  const unwatch: Unsubscribe = opts.store.watch((change) => {
    for (const key of index.apply(change)) pending.add(key);
    if (pending.size > 0 && !timer) timer = setTimeout(flush, opts.debounceMs ?? 10);
  });

  function flush(): void {
    timer = undefined;
    const keys = [...pending];
    pending.clear();
    for (const s of streams.values()) {
      const upserts: Resource[] = [];
      const deletes: WireKey[] = [];
      for (const key of keys) diffOne(s, key, index.desired(s.zone, key), upserts, deletes);
      if (upserts.length || deletes.length) send(s, { type: 'changes', nonce: ++s.nonce, upserts, deletes });
    }
  }

  function diffOne(s: ZoneStream, key: ResourceKeyString, want: IndexEntry | undefined, upserts: Resource[], deletes: WireKey[]): void {
    const have = s.sent.get(key);
    if (want && want.version !== have) {
      upserts.push(want.resource);
      s.sent.set(key, want.version);
    } else if (!want && have !== undefined) {
      deletes.push(parseKeyString(key));
      s.sent.delete(key);
    }
  }

  function write(s: ZoneStream, msg: GlobalMessage): void {
    writeLine(s.res, msg);
  }

  function send(s: ZoneStream, msg: ChangesMessage): void {
    write(s, msg);
    void insights.record(s.zone, s.id, 'sent');
    log.debug({ zone: s.zone, stream: s.id, nonce: msg.nonce, upserts: msg.upserts.length, deletes: msg.deletes.length }, 'sent changes to zone');
  }

  async function authenticate(req: IncomingMessage, zone: string): Promise<VerifiedZoneToken> {
    const verified = await opts.authenticate(bearer(req));
    if (verified.claims.Zone !== '' && verified.claims.Zone !== zone) {
      // The egress's zone check, same wording (Kuma's).
      throw new TokenError('zone-mismatch', `zone from requestor: ${zone} is different than in token: ${verified.claims.Zone}`);
    }
    return verified;
  }

  async function openStream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = bearer(req);
    const hello = parseHello(await readJson(req));
    await authenticate(req, hello.zone);
    const zoneResource = await ensureZone(opts.store, hello.zone);
    if (zoneResource.enabled === false) throw new ForbiddenError(`zone ${hello.zone} is disabled on the global control plane (Zone ${hello.zone} has enabled: false)`);
    if (streaming.isClosing) throw new UnavailableError('the global control plane is shutting down: the zone reconnects');
    const existing = byZone.get(hello.zone);
    if (existing && existing.zoneInstanceId !== hello.instanceId) {
      throw new ConflictError(
        `zone ${hello.zone} is already connected to this global control plane (zone control plane instance ${existing.zoneInstanceId}, since ${existing.connectTime}); a second zone control plane with the same zone name is refused while the first is connected`,
      );
    }
    // The same zone process reconnecting (its old connection died unnoticed): the new stream wins.
    existing?.res.end();
    if (req.socket.destroyed) return;
    const id = randomUUID();
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    req.socket.setKeepAlive(true, heartbeatMs);
    req.socket.setNoDelay(true);
    const s: ZoneStream = {
      id,
      zone: hello.zone,
      zoneInstanceId: hello.instanceId,
      res,
      sent: new Map(),
      nonce: 0,
      token,
      heartbeat: setInterval(() => beat(s), heartbeatMs),
      connectTime: clock.now().toISOString(),
    };
    streams.set(id, s);
    byZone.set(hello.zone, s);
    void insights.add(hello.zone, { id, globalInstanceId: opts.instanceId, zoneInstanceId: hello.instanceId, version: { kumaCp: { version: hello.version } }, authTokenProvided: true }, { closeOthers: true });
    log.info({ zone: hello.zone, stream: id, zoneInstanceId: hello.instanceId, known: Object.keys(hello.inventory).length }, 'zone connected');
    res.on('close', () => {
      clearInterval(s.heartbeat);
      streams.delete(id);
      if (byZone.get(s.zone) === s) byZone.delete(s.zone);
      void insights.record(s.zone, id, 'disconnected');
      log.info({ zone: s.zone, stream: id }, 'zone disconnected');
    });
    write(s, { type: 'hello', streamId: id, globalInstanceId: opts.instanceId, heartbeatMs, zoneInventory: index.zoneInventory(hello.zone) });
    initialSync(s, hello.inventory);
  }

  /** What differs from the zone's inventory, in chunks; the last one says the zone is in sync. */
  function initialSync(s: ZoneStream, inventory: Record<ResourceKeyString, string>): void {
    for (const [key, version] of Object.entries(inventory)) s.sent.set(key, version);
    let upserts: Resource[] = [];
    let deletes: WireKey[] = [];
    const seen = new Set<ResourceKeyString>();
    const flushChunk = (last: boolean) => {
      send(s, { type: 'changes', nonce: ++s.nonce, upserts, deletes, ...(last ? { synced: true } : {}) });
      upserts = [];
      deletes = [];
    };
    for (const want of index.desiredFor(s.zone)) {
      seen.add(want.key);
      diffOne(s, want.key, want, upserts, deletes);
      if (upserts.length >= chunkSize) flushChunk(false);
    }
    for (const key of Object.keys(inventory)) if (!seen.has(key)) diffOne(s, key, undefined, upserts, deletes);
    flushChunk(true);
  }

  function beat(s: ZoneStream): void {
    write(s, { type: 'heartbeat' });
    opts.authenticate(s.token).catch((err: unknown) => {
      if (!isZonectlError(err) || (err.status !== 401 && err.status !== 403)) return;
      log.warn({ zone: s.zone, stream: s.id, reason: err.message }, 'zone token no longer valid; ending the stream');
      s.res.end();
    });
  }

  function streamOf(id: unknown, zone: string | undefined): ZoneStream {
    const s = typeof id === 'string' ? streams.get(id) : undefined;
    if (!s) throw new NotFoundError(`stream ${String(id)} is not open on this global control plane instance: reconnect`);
    if (zone !== undefined && zone !== '' && zone !== s.zone) throw new TokenError('zone-mismatch', `zone from requestor: ${s.zone} is different than in token: ${zone}`);
    return s;
  }

  async function ack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verified = await opts.authenticate(bearer(req));
    const body = (await readJson(req)) as Partial<KdsAck> | null;
    if (!body || typeof body.nonce !== 'number' || typeof body.accepted !== 'boolean') {
      throw new ValidationError('Resource is not valid', [{ field: '', message: 'ack must be {"streamId": string, "nonce": number, "accepted": boolean, "reason"?: string}' }]);
    }
    const s = streamOf(body.streamId, verified.claims.Zone);
    if (body.nonce < 1 || body.nonce > s.nonce) throw new ConflictError(`nonce ${body.nonce} was not sent on stream ${s.id}`);
    if (!body.accepted) log.warn({ zone: s.zone, stream: s.id, nonce: body.nonce, reason: String(body.reason ?? '') }, 'zone rejected changes');
    await insights.record(s.zone, s.id, body.accepted ? 'acked' : 'rejected');
    sendJson(res, 200, {});
  }

  async function fromZone(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verified = await opts.authenticate(bearer(req));
    const body = (await readJson(req)) as Partial<ZoneChanges> | null;
    if (!body || !Array.isArray(body.upserts) || !Array.isArray(body.deletes)) {
      throw new ValidationError('Resource is not valid', [{ field: '', message: 'zone changes must be {"streamId": string, "upserts": [...], "deletes": [...]}' }]);
    }
    const s = streamOf(body.streamId, verified.claims.Zone);
    const violations = body.upserts.flatMap((r, i) => checkZoneResource(r, `upserts[${i}]`));
    if (violations.length) throw new ValidationError('Resource is not valid', violations);
    await Promise.all([
      ...body.upserts.map((r) => opts.store.upsert(globalStoredFromZone(r as Resource, s.zone)!)),
      ...body.deletes.map(async (k) => {
        try {
          await opts.store.delete(globalKeyOfZoneKey(k as WireKey, s.zone));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }),
    ]);
    sendJson(res, 200, {});
  }

  const requests = routeRequests({
    routes: { [`POST ${KDS_PATHS.globalToZone}`]: openStream, [`POST ${KDS_PATHS.ack}`]: ack, [`POST ${KDS_PATHS.zoneToGlobal}`]: fromZone },
    log,
    failedMessage: 'KDS request failed',
    refusedStatuses: [401, 403, 409],
    refusedMessage: 'zone control plane refused',
  });
  const streaming = new StreamingServer(createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, requests));
  const host = opts.address ?? '0.0.0.0';
  const { port } = await streaming.listen(opts.port, host, (code) => {
    unwatch();
    return new UnavailableError(`the KDS server cannot listen on ${host}:${opts.port}: ${code}${code === 'EADDRINUSE' ? ' (is another global control plane running? pick another --kds-port)' : ''}`);
  });
  log.info({ address: host, port }, 'KDS server listening for zone control planes');

  return {
    port,
    caCertFile: opts.tls.caCertFile,
    connectedZones: () => [...byZone.keys()].sort(),
    async close() {
      unwatch();
      clearTimeout(timer);
      await streaming.close(
        () => {
          for (const s of [...streams.values()]) s.res.end();
        },
        () => insights.flush(),
      );
    },
  };
}

function parseHello(body: unknown): ZoneHello {
  const b = (body ?? {}) as Partial<ZoneHello>;
  const violations = [];
  if (typeof b.zone !== 'string' || !ZONE_NAME.test(b.zone)) violations.push({ field: 'zone', message: 'must be a zone name (lowercase RFC 1123 subdomain, e.g. zone-1)' });
  if (typeof b.instanceId !== 'string' || b.instanceId === '') violations.push({ field: 'instanceId', message: 'cannot be empty' });
  if (b.inventory !== undefined && (typeof b.inventory !== 'object' || b.inventory === null || Array.isArray(b.inventory))) violations.push({ field: 'inventory', message: 'must be an object of key: version' });
  if (violations.length) throw new ValidationError('Resource is not valid', violations);
  return { zone: b.zone!, instanceId: b.instanceId!, version: typeof b.version === 'string' ? b.version : '', inventory: (b.inventory ?? {}) as Record<string, string> };
}

/** Only kinds zones provide, valid by the same rules as `zonectl validate` where the kind has them. */
function checkZoneResource(r: unknown, field: string) {
  const o = (r ?? {}) as Resource;
  const kind = typeof o.type === 'string' ? kindByType(o.type) : undefined;
  if (!kind || kdsRule(kind).owner !== 'zone') return [{ field: `${field}.type`, message: `${JSON.stringify(o.type)} is not a kind zones send to the global` }];
  if (typeof o.name !== 'string' || o.name === '') return [{ field: `${field}.name`, message: 'cannot be empty' }];
  if (!kind.validatable) return [];
  return validateResource(o).map((v) => ({ field: `${field}.${v.field}`, message: v.message }));
}

/** The Zone resource, created at the first connection (Kuma creates it from the zone's first KDS stream). */
async function ensureZone(store: Store, zone: string): Promise<Resource> {
  try {
    return (await store.get({ type: 'Zone', name: zone })).resource;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    return (await store.create({ type: 'Zone', name: zone, enabled: true })).resource;
  } catch (err) {
    if (err instanceof ConflictError) return (await store.get({ type: 'Zone', name: zone })).resource;
    throw err;
  }
}
