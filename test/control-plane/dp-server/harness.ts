/** Shared setup for dp-server tests: a memory store, a dp-server on 127.0.0.1:0, sessions. */
import { EventEmitter, once } from 'node:events';
import type { TestContext } from 'node:test';
import { ForbiddenError, UnauthorizedError } from '../../../src/core/errors.js';
import { startDpServer, type DpServer, type DpServerOptions } from '../../../src/control-plane/dp-server/index.js';
import { createMemoryStore } from '../../../src/control-plane/store/memory.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import type { EgressSnapshot } from '../../../src/resources/egress-config.js';
import type { Resource } from '../../../src/resources/types.js';
import { startCpSession, type CpSession, type SnapshotVerdict } from '../../../src/egress/cp-session.js';
import { tmpDir } from '../../helpers/tmp.js';

export const EGRESS_TOKEN = 'egress-token';
export const INGRESS_TOKEN = 'ingress-token';

/** Stand-in for the zone-token verifier: the dp-server takes any authenticate function. */
export async function authenticate(token: string): Promise<unknown> {
  if (token === EGRESS_TOKEN) return { Zone: 'zone-1', Scope: ['egress'] };
  if (token === INGRESS_TOKEN) throw new ForbiddenError("token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])");
  throw new UnauthorizedError('invalid zone token: signature verification failed');
}

export const MESH: Resource = {
  type: 'Mesh',
  name: 'mesh-1',
  mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
  routing: { zoneEgress: true },
};

export function ingress(name: string, zone: string, services: Record<string, number>): Resource {
  return {
    type: 'ZoneIngress',
    name,
    zone,
    networking: { address: '10.0.0.1', advertisedAddress: `10.0.${zone.length}.1`, port: 10001, advertisedPort: 10001 },
    availableServices: Object.entries(services).map(([svc, instances]) => ({ tags: { 'kuma.io/service': svc }, instances, mesh: 'mesh-1' })),
  };
}

export function zoneEgress(name: string): Resource {
  return { type: 'ZoneEgress', name, networking: { address: '127.0.0.1', port: 10002, admin: { port: 9901 } } };
}

export async function startCp(t: TestContext, extra: Partial<DpServerOptions> = {}, store: Store = createMemoryStore()): Promise<{ store: Store; dp: DpServer; url: string }> {
  const dp = await startDpServer({
    store,
    zone: 'zone-1',
    instanceId: 'cp-1',
    version: '0.1.0',
    dataDir: tmpDir(t),
    authenticate,
    port: 0,
    address: '127.0.0.1',
    debounceMs: 20,
    ...extra,
  });
  t.after(() => dp.close());
  return { store, dp, url: `https://127.0.0.1:${dp.port}` };
}

/** A session that records every snapshot it is offered; `verdict` decides ack/reject. */
export class RecordingSession extends EventEmitter {
  readonly offered: EgressSnapshot[] = [];
  session!: CpSession;
  verdict: (s: EgressSnapshot) => SnapshotVerdict = () => ({ ok: true });

  static start(t: TestContext, url: string, ca: string | undefined, name: string, token = EGRESS_TOKEN): RecordingSession {
    const r = new RecordingSession();
    r.session = startCpSession({
      cpAddress: url,
      ca,
      token,
      zoneEgress: zoneEgress(name),
      version: '0.1.0',
      backoff: { initialMs: 20, maxMs: 100 },
      onStateChange: (s) => r.emit('state', s),
      onSnapshot: (s) => {
        r.offered.push(s);
        const v = r.verdict(s);
        r.emit('snapshot', s);
        return v;
      },
    });
    t.after(() => r.session.close());
    return r;
  }

  /** The next snapshot offered after this call (or the n-th overall when `index` is given). */
  async next(index?: number): Promise<EgressSnapshot> {
    if (index !== undefined && this.offered.length > index) return this.offered[index];
    const [s] = (await once(this, 'snapshot')) as [EgressSnapshot];
    return index !== undefined && this.offered.length <= index ? this.next(index) : s;
  }

  async state(want: string): Promise<void> {
    while (this.session.state !== want) await once(this, 'state');
  }
}

/** Resolves when `pred` holds for the store (checked now and after every change). */
export function waitForStore(store: Store, pred: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let again = false;
    const check = async () => {
      if (busy) return void (again = true);
      busy = true;
      try {
        if (await pred()) {
          unwatch();
          resolve();
          return;
        }
      } catch (err) {
        unwatch();
        reject(err);
        return;
      } finally {
        busy = false;
      }
      if (again) {
        again = false;
        void check();
      }
    };
    const unwatch = store.watch(() => void check());
    void check();
  });
}

export async function insightOf(store: Store, name: string): Promise<Record<string, unknown>[]> {
  try {
    return ((await store.get({ type: 'ZoneEgressInsight', name })).resource.subscriptions ?? []) as Record<string, unknown>[];
  } catch {
    return [];
  }
}
