/**
 * Leader lease and instance liveness for control planes sharing one store (PostgreSQL). Work
 * that exactly one instance must do (marking insights of streams whose instance vanished) runs
 * on the leader only.
 *
 * Both are built on the store contract alone (optimistic concurrency), so they behave the same
 * on every store: the lease is a `ControlPlaneLease` resource whose holder renews it by updating
 * it (version + 1) every renewMs; every instance also renews its own `ControlPlaneInstance`. A
 * resource whose version has not moved for ttlMs, as timed by the observer's own monotonic clock,
 * belongs to a dead instance: no wall clocks are compared, so clock skew between hosts cannot
 * elect two leaders. A candidate takes an expired lease with an update on the version it
 * observed; of several candidates exactly one wins. A leader that cannot renew for ttlMs (store
 * unreachable) steps down before anyone else may take over.
 *
 * With renewMs 2 s and ttlMs 6 s, a killed leader is replaced within about 8 s.
 *
 * The leader also deletes the records of instances dead for pruneAfterMs (default 10 min), after
 * a round of leader work that succeeded with them already dead (so their streams were marked
 * disconnected first); the delete names the version it saw dead, so an instance that came back
 * in between keeps its record (and one that comes back later writes it again).
 */
import { performance } from 'node:perf_hooks';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Store } from './store/types.js';

export const LEASE_TYPE = 'ControlPlaneLease';
export const INSTANCE_TYPE = 'ControlPlaneInstance';

export interface Leadership {
  readonly instanceId: string;
  readonly isLeader: boolean;
  /** Called on every renewal tick while this instance leads (after it took or renewed the lease). */
  onLeaderTick(fn: () => Promise<void> | void): void;
  /**
   * Ids of instances of this cluster that stopped renewing for ttlMs without leaving (killed).
   * Only instances this one has seen are judged: streams of anything else (e.g. zone control
   * planes, in insights synced to a global) are never called dead.
   */
  deadInstances(): Set<string>;
  stop(): Promise<void>;
}

export interface LeaderOptions {
  store: Store;
  instanceId: string;
  renewMs?: number;
  ttlMs?: number;
  /** How long an instance stays dead before the leader deletes its record (default 10 min). */
  pruneAfterMs?: number;
  log?: Logger;
}

interface Observed {
  version: number;
  since: number;
}

/** A single instance (memory or SQLite store) leads by definition; no lease is written. */
export function soleLeader(instanceId: string): Leadership {
  const ticks: (() => Promise<void> | void)[] = [];
  return {
    instanceId,
    isLeader: true,
    onLeaderTick: (fn) => ticks.push(fn),
    deadInstances: () => new Set<string>(),
    stop: async () => undefined,
  };
}

export function startLeaderElection(opts: LeaderOptions): Leadership {
  const { store, instanceId } = opts;
  const renewMs = opts.renewMs ?? 2_000;
  const ttlMs = opts.ttlMs ?? 6_000;
  const pruneAfterMs = opts.pruneAfterMs ?? 600_000;
  const log = opts.log ?? silentLogger();
  const leaseKey = { type: LEASE_TYPE, name: 'leader' };
  const observed = new Map<string, Observed>();
  const ticks: (() => Promise<void> | void)[] = [];
  let leader = false;
  let lastRenewal = 0;
  let stopped = false;
  let running: Promise<void> | undefined;

  const observe = (id: string, version: number): Observed => {
    const now = performance.now();
    const o = observed.get(id);
    if (!o || o.version !== version) observed.set(id, { version, since: now });
    return observed.get(id)!;
  };
  const expired = (o: Observed) => performance.now() - o.since > ttlMs;
  const deadInstances = () => {
    const dead = new Set<string>();
    for (const [id, o] of observed) if (!id.startsWith('lease:') && id !== instanceId && expired(o)) dead.add(id);
    return dead;
  };

  const setLeader = (v: boolean, why: string) => {
    if (leader === v) return;
    leader = v;
    log.info({ instanceId, why }, v ? 'this instance is now the leader' : 'this instance is no longer the leader');
  };

  async function heartbeat(): Promise<void> {
    await store.upsert({ type: INSTANCE_TYPE, name: instanceId, heartbeat: true });
    const { items } = await store.list({ type: INSTANCE_TYPE });
    for (const i of items) observe(i.resource.name, i.version);
    for (const id of [...observed.keys()]) if (!id.startsWith('lease:') && !items.some((i) => i.resource.name === id)) observed.delete(id);
  }

  async function lease(): Promise<void> {
    let current: { holder: string; version: number } | undefined;
    try {
      const got = await store.get(leaseKey);
      current = { holder: String(got.resource.holder), version: got.version };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    try {
      if (!current) {
        await store.create({ ...leaseKey, holder: instanceId });
        lastRenewal = performance.now();
        return setLeader(true, 'no lease existed');
      }
      const o = observe(`lease:${current.holder}`, current.version);
      if (current.holder === instanceId || expired(o)) {
        await store.update({ ...leaseKey, holder: instanceId }, { expectedVersion: current.version });
        lastRenewal = performance.now();
        return setLeader(true, current.holder === instanceId ? 'renewed' : `the lease of ${current.holder} expired`);
      }
      setLeader(false, `${current.holder} holds the lease`);
    } catch (err) {
      if (err instanceof PreconditionFailedError || err instanceof ConflictError || err instanceof NotFoundError) return setLeader(false, 'another instance took the lease');
      throw err;
    }
  }

  async function tick(): Promise<void> {
    try {
      await heartbeat();
      await lease();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not renew the leader lease');
      // Step down before the lease can expire in anyone else's eyes.
      if (leader && performance.now() - lastRenewal > ttlMs * 0.75) setLeader(false, 'could not renew the lease in time');
      return;
    }
    if (!leader) return;
    // Instances dead long enough before this round's work, which then covers them.
    const prunable = [...observed].filter(([id, o]) => !id.startsWith('lease:') && id !== instanceId && performance.now() - o.since > ttlMs + pruneAfterMs);
    let failed = false;
    for (const fn of ticks) {
      try {
        await fn();
      } catch (err) {
        failed = true;
        log.warn({ err: (err as Error).message }, 'leader work failed; retrying on the next tick');
      }
    }
    if (!failed) await prune(prunable);
  }

  async function prune(dead: [string, Observed][]): Promise<void> {
    for (const [id, o] of dead) {
      try {
        await store.delete({ type: INSTANCE_TYPE, name: id }, { expectedVersion: o.version });
        observed.delete(id);
        log.info({ instanceId: id }, 'deleted the record of a control-plane instance dead for longer than the pruning delay');
      } catch (err) {
        // Renewed meanwhile (it is alive after all) or already gone: nothing to delete.
        if (!(err instanceof PreconditionFailedError || err instanceof NotFoundError)) log.warn({ instanceId: id, err: (err as Error).message }, 'could not delete the record of a dead control-plane instance');
      }
    }
  }

  const timer = setInterval(() => {
    if (!running && !stopped) running = tick().finally(() => (running = undefined));
  }, renewMs);
  timer.unref();
  running = tick().finally(() => (running = undefined));

  return {
    instanceId,
    get isLeader() {
      return leader;
    },
    onLeaderTick: (fn) => ticks.push(fn),
    deadInstances,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      // A clean stop hands the lease over at once and leaves the instance list.
      await store.delete({ type: INSTANCE_TYPE, name: instanceId }).catch(() => undefined);
      if (leader) await store.delete(leaseKey).catch(() => undefined);
      leader = false;
    },
  };
}
