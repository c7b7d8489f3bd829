/**
 * ZoneEgressInsight bookkeeping: every config stream is one subscription in Kuma's shape
 * (reference/kuma-2.14/proto/dataplane_insight.proto, DiscoverySubscription), counters as
 * proto3-JSON strings like Kuma's API returns them. At most 5 subscriptions are kept, oldest
 * dropped first. Writes for one egress are serialized here and retried on a version conflict,
 * since several control-plane instances may write the same insight.
 */
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';

export const MAX_SUBSCRIPTIONS = 5;
const RETRIES = 5;

export interface Subscription {
  id: string;
  /** Egress subscriptions (DiscoverySubscription); a zone's KDSSubscription has globalInstanceId instead. */
  controlPlaneInstanceId?: string;
  connectTime: string;
  disconnectTime?: string;
  status: {
    lastUpdateTime?: string;
    total: { responsesSent: string; responsesAcknowledged: string; responsesRejected: string };
  };
  version: Record<string, unknown>;
  generation?: number;
  [field: string]: unknown;
}

export type SubscriptionEvent = 'sent' | 'acked' | 'rejected' | 'disconnected';

export class InsightRecorder {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** ZoneEgressInsight, or ZoneInsight for the global's zone streams (same subscription bookkeeping). */
    private readonly type: string = 'ZoneEgressInsight',
  ) {}

  connected(name: string, sub: { id: string; controlPlaneInstanceId: string; version: string }): Promise<void> {
    return this.add(name, { id: sub.id, controlPlaneInstanceId: sub.controlPlaneInstanceId, version: { kumaDp: { version: sub.version } } });
  }

  /**
   * A new subscription (connectTime now, counters at zero) with the kind-specific fields given.
   * `closeOthers`: the peer can hold one stream only (a zone), so older subscriptions still
   * marked connected are stale (their control plane died before writing disconnectTime): close them.
   */
  add(name: string, fields: { id: string; version: Record<string, unknown>; [field: string]: unknown }, opts: { closeOthers?: boolean } = {}): Promise<void> {
    const now = this.now();
    const s: Subscription = {
      ...fields,
      connectTime: now,
      status: { total: { responsesSent: '0', responsesAcknowledged: '0', responsesRejected: '0' } },
    };
    return this.update(name, (subs) => [...(opts.closeOthers ? subs.map((o) => (o.disconnectTime ? o : { ...o, disconnectTime: now })) : subs), s].slice(-MAX_SUBSCRIPTIONS));
  }

  record(name: string, id: string, event: SubscriptionEvent): Promise<void> {
    const now = this.now();
    return this.update(name, (subs) =>
      subs.map((s) => {
        if (s.id !== id) return s;
        const total = { ...s.status.total };
        const bump = (k: keyof typeof total) => (total[k] = String(Number(total[k] ?? 0) + 1));
        if (event === 'sent') bump('responsesSent');
        if (event === 'acked') bump('responsesAcknowledged');
        if (event === 'rejected') bump('responsesRejected');
        const status = { ...s.status, total, ...(event === 'sent' ? { lastUpdateTime: now } : {}) };
        return { ...s, status, ...(event === 'disconnected' ? { disconnectTime: now } : {}) };
      }),
    );
  }

  /**
   * Marks disconnected every open subscription held by an instance in `dead` (it was killed and
   * could not record its streams' end). Run by the leader only. Returns how many it marked.
   */
  async markVanished(dead: Set<string>): Promise<number> {
    if (dead.size === 0) return 0;
    const { items } = await this.store.list({ type: 'ZoneEgressInsight' });
    const vanished = (s: Subscription) => !s.disconnectTime && s.controlPlaneInstanceId !== undefined && dead.has(s.controlPlaneInstanceId);
    let marked = 0;
    const now = this.now();
    await Promise.all(
      items
        .filter((i) => Array.isArray(i.resource.subscriptions) && (i.resource.subscriptions as Subscription[]).some(vanished))
        .map((i) => {
          marked += (i.resource.subscriptions as Subscription[]).filter(vanished).length;
          return this.update(i.resource.name, (subs) => subs.map((s) => (vanished(s) ? { ...s, disconnectTime: now } : s)));
        }),
    );
    return marked;
  }

  /** Resolves when every queued write has been attempted (used on shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  private update(name: string, fn: (subs: Subscription[]) => Subscription[]): Promise<void> {
    const prev = this.chains.get(name) ?? Promise.resolve();
    const next = prev.then(() => this.write(name, fn)).catch((err: unknown) => {
      // Insights are observability: a failed write is logged, never fatal to the stream.
      this.log.warn({ name, type: this.type, err: (err as Error).message }, 'could not update an insight');
    });
    this.chains.set(name, next);
    void next.then(() => this.chains.get(name) === next && this.chains.delete(name));
    return next;
  }

  private async write(name: string, fn: (subs: Subscription[]) => Subscription[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let current: Resource | undefined;
      let version: number | undefined;
      try {
        const got = await this.store.get({ type: this.type, name });
        current = got.resource;
        version = got.version;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      const subs = Array.isArray(current?.subscriptions) ? (current.subscriptions as Subscription[]) : [];
      const next: Resource = { ...(current ?? {}), type: this.type, name, subscriptions: fn(subs) };
      delete next.creationTime;
      delete next.modificationTime;
      try {
        if (version === undefined) await this.store.create(next);
        else await this.store.update(next, { expectedVersion: version });
        return;
      } catch (err) {
        const raced = err instanceof PreconditionFailedError || err instanceof ConflictError || err instanceof NotFoundError;
        if (!raced || attempt >= RETRIES) throw err;
      }
    }
  }
}
