import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { createMemoryStore } from '../../src/control-plane/store/memory.js';
import { backoffDelay, startCpSession } from '../../src/egress/cp-session.js';
import { MESH, RecordingSession, ingress, insightOf, startCp, waitForStore, zoneEgress } from '../control-plane/dp-server/harness.js';
import { tmpDir } from '../helpers/tmp.js';

describe('egress control-plane session', () => {
  test('backoff doubles up to the maximum, with jitter in the upper half', () => {
    const lo = () => 0;
    const hi = () => 1;
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 30_000, lo)), [250, 500, 1000, 2000, 15_000]);
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 30_000, hi)), [500, 1000, 2000, 4000, 30_000]);
  });

  test('the control plane restarts: the egress keeps its last good snapshot, reconnects and is Online again', async (t) => {
    const store = createMemoryStore();
    await store.create(MESH);
    await store.create(ingress('zi-2', 'zone-2', { web: 1 }));
    const dataDir = tmpDir(t);
    const first = await startCp(t, { dataDir }, store);
    const e = RecordingSession.start(t, first.url, first.dp.caPem, 'egress-1');
    const good = await e.session.ready;

    await first.dp.close();
    await e.state('disconnected');
    assert.equal(e.session.connected, false);
    assert.equal(e.session.lastGood?.version, good.version);
    await waitForStore(store, async () => (await insightOf(store, 'egress-1')).every((s) => s.disconnectTime !== undefined));

    // Same data dir: same dp-server CA, so the egress trusts the restarted control plane.
    const second = await startCp(t, { dataDir, port: first.dp.port, instanceId: 'cp-2' }, store);
    assert.equal(second.dp.caPem, first.dp.caPem);
    await e.state('connected');
    await waitForStore(store, async () => {
      const subs = await insightOf(store, 'egress-1');
      return subs.length === 2 && subs[1].controlPlaneInstanceId === 'cp-2' && subs[1].disconnectTime === undefined;
    });
    // Same routes; the restarted instance issued its own egress identity, so at most one new version.
    assert.ok(e.offered.length <= 2);
    assert.deepEqual(e.session.lastGood?.routes, good.routes);
  });

  test('an unreachable control plane is retried, never fatal; the error says what to check', async (t) => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const warnings: string[] = [];
    let thirdWarning!: () => void;
    const warned = new Promise<void>((r) => (thirdWarning = r));
    const logger = { warn: (o: unknown, m?: string) => warnings.push(`${m ?? ''} ${JSON.stringify(o)}`) === 3 && thirdWarning(), info: () => undefined } as never;
    let attempts = 0;
    const session = startCpSession({
      cpAddress: `https://127.0.0.1:${port}`,
      token: () => (attempts++, 'tok'),
      zoneEgress: zoneEgress('e'),
      version: '0.1.0',
      onSnapshot: () => ({ ok: true }),
      logger,
      backoff: { initialMs: 5, maxMs: 10 },
    });
    t.after(() => session.close());
    await warned;
    assert.ok(attempts >= 3);
    assert.ok(warnings.some((w) => w.includes(`control plane at https://127.0.0.1:${port} is unreachable: ECONNREFUSED (is 'zonectl control-plane run' running?)`)), warnings.join('\n'));
    assert.notEqual(session.state, 'stopped');
    await session.close();
    assert.equal(session.state, 'stopped');
  });

  test('an untrusted dp-server certificate is permanent: the session ends naming the flag that fixes it', async (t) => {
    const { url } = await startCp(t);
    const logger = { warn: () => undefined, info: () => undefined } as never;
    const session = startCpSession({ cpAddress: url, token: 't', zoneEgress: zoneEgress('e'), version: '0.1.0', onSnapshot: () => ({ ok: true }), logger, backoff: { initialMs: 50, maxMs: 50 } });
    t.after(() => session.close());
    // Retrying cannot fix a CA that is not trusted: done rejects instead of retrying forever.
    await assert.rejects(session.done, (err: unknown) => err instanceof Error && /presented a certificate this egress does not trust \(\w+\): pass its CA with --ca-cert-file/.test(err.message));
  });

  test('skipVerify connects to a self-signed dp-server (and warns)', async (t) => {
    const { store, url } = await startCp(t);
    await store.create(MESH);
    const warnings: string[] = [];
    const logger = { warn: (m: unknown) => warnings.push(String(m)), info: () => undefined } as never;
    const session = startCpSession({ cpAddress: url, skipVerify: true, token: 'egress-token', zoneEgress: zoneEgress('e'), version: '0.1.0', onSnapshot: () => ({ ok: true }), logger });
    t.after(() => session.close());
    const snap = await session.ready;
    assert.equal(snap.identities[0].mesh, 'mesh-1');
    assert.match(warnings[0], /--skip-verify/);
  });
});
