/**
 * A zone control plane's session with the global (docs/multizone.md): open the stream with the
 * versions the zone holds, apply and ack every step the global sends, push the zone's own
 * resources as they change, and reconnect with jittered exponential backoff. While the global is
 * away nothing is deleted: the zone keeps serving its last synced state (static stability).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isZonectlError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { KDS_PATHS, parseKeyString, keyString, wireKey, type ChangesMessage, type GlobalMessage, type ResourceKeyString, type WireKey } from '../../resources/multizone-protocol.js';
import type { Resource } from '../../resources/types.js';
import type { Store, Unsubscribe } from '../store/types.js';
import { KdsHttp } from './kds-http.js';
import { ownerOf } from './mapping.js';
import { applyChanges, zoneInventory, zoneOwnResource, zoneOwnResources, type OwnEntry } from './zone-store.js';

export interface ZoneClientOptions {
  store: Store;
  zone: string;
  instanceId: string;
  version: string;
  globalAddress: string;
  /** Read on every (re)connect, so a rotated token file is picked up. */
  tokenFile: string;
  caCertFile?: string;
  logger?: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Zone-to-global pushes wait this long after a change, to send a burst as one request (default 20 ms). */
  debounceMs?: number;
  /** Resources per zone-to-global request (default 200). */
  chunkSize?: number;
}

export type ZoneSyncState = 'connecting' | 'syncing' | 'synced' | 'disconnected' | 'stopped';

export interface ZoneClient {
  readonly state: ZoneSyncState;
  /** The last error that ended a session (for logs and tests). */
  readonly lastError: string | undefined;
  /** Resolves when the zone is in sync with the global for the first time. */
  readonly firstSync: Promise<void>;
  close(): Promise<void>;
}

export function startZoneClient(opts: ZoneClientOptions): ZoneClient {
  const log = opts.logger ?? silentLogger();
  const ca = opts.caCertFile ? readFileSync(opts.caCertFile, 'utf8') : undefined;
  const http = new KdsHttp(opts.globalAddress, ca);
  const initialMs = opts.backoff?.initialMs ?? 500;
  // A deployment has few zones and a global can take them reconnecting at once; after a global
  // restart, resuming within seconds matters more than sparing it (the egress backs off to 30 s).
  const maxMs = opts.backoff?.maxMs ?? 5_000;
  let state: ZoneSyncState = 'connecting';
  let lastError: string | undefined;
  let stopped = false;
  let current: IncomingMessage | undefined;
  let wake: (() => void) | undefined;
  let markSynced!: () => void;
  const firstSync = new Promise<void>((resolve) => (markSynced = resolve));

  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        const reachedSync = await session();
        if (reachedSync) attempt = 0;
      } catch (err) {
        lastError = (err as Error).message;
        const level = isZonectlError(err) && (err.status === 401 || err.status === 403 || err.status === 409) ? 'error' : 'warn';
        log[level]({ global: http.base.origin, err: lastError }, 'zone sync with the global failed; retrying');
      }
      if (stopped) break;
      state = 'disconnected';
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt++, 30));
      const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
    state = 'stopped';
  })();

  /** One connection; resolves true when it reached "synced" before ending. */
  async function session(): Promise<boolean> {
    state = 'connecting';
    const token = readFileSync(opts.tokenFile, 'utf8').trim();
    const inventory = await zoneInventory(opts.store);
    const res = await http.open(KDS_PATHS.globalToZone, token, { zone: opts.zone, instanceId: opts.instanceId, version: opts.version, inventory });
    current = res;
    state = 'syncing';
    let synced = false;
    let streamId = '';
    let pusher: Pusher | undefined;
    let chain = Promise.resolve();
    let deadTimer: NodeJS.Timeout | undefined;
    let heartbeatMs = 10_000;
    const armDead = () => {
      clearTimeout(deadTimer);
      deadTimer = setTimeout(() => {
        log.warn({ global: http.base.origin }, 'no heartbeat from the global; reconnecting');
        res.destroy();
      }, 3 * heartbeatMs);
    };
    const handle = async (msg: GlobalMessage) => {
      if (msg.type === 'hello') {
        streamId = msg.streamId;
        heartbeatMs = msg.heartbeatMs;
        pusher = new Pusher(opts, http, token, streamId, msg.zoneInventory, log, () => res.destroy());
        await pusher.start();
        log.info({ global: http.base.origin, stream: streamId }, 'connected to the global control plane');
      } else if (msg.type === 'changes') {
        await applyStep(msg, streamId, token, res);
        if (msg.synced && !synced) {
          synced = true;
          state = 'synced';
          markSynced();
          log.info({ global: http.base.origin }, 'in sync with the global control plane');
        }
      }
    };
    try {
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        armDead();
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          armDead();
          // Only the new chunk is searched for line ends: a large step arrives in many chunks.
          let from = buf.length;
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n', from)) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            from = 0;
            if (!line.trim()) continue;
            let msg: GlobalMessage;
            try {
              msg = JSON.parse(line) as GlobalMessage;
            } catch {
              res.destroy(new Error('the global sent a line that is not JSON'));
              return;
            }
            chain = chain.then(() => handle(msg)).catch((err: unknown) => {
              lastError = (err as Error).message;
              res.destroy(err as Error);
            });
          }
        });
        res.on('end', resolve);
        res.on('close', resolve);
        res.on('error', (err) => reject(http.connectionError(err)));
      });
      await chain;
    } finally {
      clearTimeout(deadTimer);
      pusher?.stop();
      current = undefined;
    }
    if (!stopped) log.warn({ global: http.base.origin }, 'stream to the global control plane ended; reconnecting');
    return synced;
  }

  async function applyStep(msg: ChangesMessage, streamId: string, token: string, res: IncomingMessage): Promise<void> {
    let accepted = true;
    let reason: string | undefined;
    try {
      await applyChanges(opts.store, msg.upserts ?? [], msg.deletes ?? []);
    } catch (err) {
      accepted = false;
      reason = (err as Error).message;
    }
    await http.post(KDS_PATHS.ack, token, { streamId, nonce: msg.nonce, accepted, ...(reason ? { reason } : {}) });
    // A step the zone could not apply leaves it out of step with what the global believes it has:
    // reconnecting resyncs from the versions actually stored.
    if (!accepted) {
      log.error({ nonce: msg.nonce, reason }, 'could not apply changes from the global; resyncing');
      res.destroy();
    }
  }

  return {
    get state() {
      return state;
    },
    get lastError() {
      return lastError;
    },
    firstSync,
    async close() {
      stopped = true;
      current?.destroy();
      wake?.();
      await loop;
      http.close();
    },
  };
}

/**
 * Pushes the zone's own resources to the global: first what differs from the global's inventory,
 * then every change of a zone-owned kind (debounced), one request at a time.
 */
class Pusher {
  private readonly acked: Map<ResourceKeyString, string>;
  private readonly dirty = new Map<ResourceKeyString, WireKey>();
  private unwatch?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly opts: ZoneClientOptions,
    private readonly http: KdsHttp,
    private readonly token: string,
    private readonly streamId: string,
    inventory: Record<ResourceKeyString, string>,
    private readonly log: Logger,
    private readonly fail: () => void,
  ) {
    this.acked = new Map(Object.entries(inventory));
  }

  async start(): Promise<void> {
    this.unwatch = this.opts.store.watch((change) => {
      if (ownerOf(change.key.type) !== 'zone') return;
      const k = change.key.mesh ? { type: change.key.type, mesh: change.key.mesh, name: change.key.name } : { type: change.key.type, name: change.key.name };
      this.dirty.set(keyString(k), k);
      if (!this.timer) this.timer = setTimeout(() => this.kick(), this.opts.debounceMs ?? 20);
    });
    const own = await zoneOwnResources(this.opts.store, this.opts.zone);
    const upserts: Resource[] = [];
    const deletes: WireKey[] = [];
    for (const [key, e] of own) if (this.acked.get(key) !== e.version) upserts.push(e.resource);
    for (const key of this.acked.keys()) if (!own.has(key)) deletes.push(parseKeyString(key));
    void this.enqueue(() => this.push(upserts, deletes, own));
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    clearTimeout(this.timer);
  }

  private kick(): void {
    this.timer = undefined;
    const keys = [...this.dirty.values()];
    this.dirty.clear();
    void this.enqueue(async () => {
      const upserts: Resource[] = [];
      const deletes: WireKey[] = [];
      const now = new Map<ResourceKeyString, OwnEntry>();
      for (const k of keys) {
        const key = keyString(k);
        const e = await zoneOwnResource(this.opts.store, this.opts.zone, k);
        if (e) {
          now.set(key, e);
          if (this.acked.get(key) !== e.version) upserts.push(e.resource);
        } else if (this.acked.has(key)) deletes.push(k);
      }
      await this.push(upserts, deletes, now);
    });
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const prev = this.running ?? Promise.resolve();
    const next = prev.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not send zone resources to the global; resyncing');
        this.fail();
      }
    });
    this.running = next;
    return next;
  }

  private async push(upserts: Resource[], deletes: WireKey[], entries: Map<ResourceKeyString, OwnEntry>): Promise<void> {
    const size = this.opts.chunkSize ?? 200;
    for (let i = 0; i < Math.max(upserts.length, deletes.length, 1) && (upserts.length || deletes.length); i += size) {
      const up = upserts.slice(i, i + size);
      const del = deletes.slice(i, i + size);
      if (!up.length && !del.length) break;
      await this.http.post(KDS_PATHS.zoneToGlobal, this.token, { streamId: this.streamId, upserts: up, deletes: del });
      for (const r of up) this.acked.set(keyString(wireKey(r)), entries.get(keyString(wireKey(r)))!.version);
      for (const k of del) this.acked.delete(keyString(k));
    }
  }
}
