import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certificateInfo } from '../../../src/core/pki.js';
import type { EgressSnapshot } from '../../../src/resources/egress-config.js';
import { MESH, RecordingSession, ingress, insightOf, startCp, waitForStore } from './harness.js';

function routeSummary(s: EgressSnapshot): string[] {
  return s.routes.map((r) => (r.kind === 'passthrough' ? `${r.sni} -> ${r.endpoints.map((e) => `${e.address}:${e.port}*${e.weight}`).join(',')}` : `${r.sni} => ${r.address}:${r.port}`));
}

describe('dp-server config stream', () => {
  test('bootstrap registers the egress in the CP zone and the stream delivers the first snapshot with the mesh identity', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    await store.create(ingress('zi-2', 'zone-2', { web: 3 }));
    await store.create({ type: 'ExternalService', name: 'httpbin', mesh: 'mesh-1', tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:443' } });
    const egress = RecordingSession.start(t, url, dp.caPem, 'egress-1');
    const first = await egress.session.ready;
    assert.deepEqual(routeSummary(first), ['httpbin{mesh=mesh-1} => httpbin.org:443', 'web{mesh=mesh-1} -> 10.0.6.1:10001*3']);
    assert.equal(first.identities.length, 1);
    assert.deepEqual(certificateInfo(first.identities[0].certPem).uris, ['spiffe://mesh-1/zone-egress']);
    assert.equal(egress.session.connected, true);
    const stored = await store.get({ type: 'ZoneEgress', name: 'egress-1' });
    assert.equal(stored.resource.zone, 'zone-1');
    await waitForStore(store, async () => (await insightOf(store, 'egress-1'))[0]?.status !== undefined && JSON.stringify(await insightOf(store, 'egress-1')).includes('"responsesAcknowledged":"1"'));
    const [sub] = await insightOf(store, 'egress-1');
    assert.equal(sub.controlPlaneInstanceId, 'cp-1');
    assert.deepEqual((sub.status as { total: unknown }).total, { responsesSent: '1', responsesAcknowledged: '1', responsesRejected: '0' });
    assert.deepEqual(sub.version, { kumaDp: { version: '0.1.0' } });
    assert.equal(sub.disconnectTime, undefined);
  });

  test('a store change reaches two egresses within 1 s; an unchanged snapshot is not resent', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    const a = RecordingSession.start(t, url, dp.caPem, 'egress-a');
    const b = RecordingSession.start(t, url, dp.caPem, 'egress-b');
    await Promise.all([a.session.ready, b.session.ready]);
    assert.deepEqual(routeSummary(a.offered[0]), []);

    const started = Date.now();
    const nextA = a.next();
    const nextB = b.next();
    await store.create(ingress('zi-2', 'zone-2', { web: 2 }));
    const [sa, sb] = await Promise.all([nextA, nextB]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.deepEqual(routeSummary(sa), ['web{mesh=mesh-1} -> 10.0.6.1:10001*2']);
    assert.equal(sb.version, sa.version);

    // Writes that do not change the content (same ingress again, an unrelated kind) send nothing.
    await store.upsert(ingress('zi-2', 'zone-2', { web: 2 }));
    await store.upsert({ type: 'ZoneEgress', name: 'unrelated', networking: { address: '10.9.9.9', port: 1 } });
    await dp.refresh();
    // A real change afterwards is the very next snapshot each egress sees.
    const nextA2 = a.next();
    await store.upsert(ingress('zi-2', 'zone-2', { web: 4 }));
    assert.deepEqual(routeSummary(await nextA2), ['web{mesh=mesh-1} -> 10.0.6.1:10001*4']);
    assert.equal(a.offered.length, 3);
  });

  test('a rejected snapshot is counted, keeps the last good one, and the next good one is applied', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    const e = RecordingSession.start(t, url, dp.caPem, 'egress-1');
    const good = await e.session.ready;
    e.verdict = (s) => (s.routes.some((r) => r.service === 'bad') ? { ok: false, reason: 'route bad{mesh=mesh-1}: no usable endpoint' } : { ok: true });
    const offered = e.next();
    await store.create(ingress('zi-bad', 'zone-2', { bad: 1 }));
    const rejected = await offered;
    assert.notEqual(rejected.version, good.version);
    await waitForStore(store, async () => JSON.stringify(await insightOf(store, 'egress-1')).includes('"responsesRejected":"1"'));
    assert.equal(e.session.lastGood?.version, good.version);

    const fixed = e.next();
    await store.delete({ type: 'ZoneIngress', name: 'zi-bad' });
    await store.create(ingress('zi-ok', 'zone-2', { ok: 1 }));
    await fixed;
    while (!e.session.lastGood?.routes.length) await e.next();
    assert.deepEqual(routeSummary(e.session.lastGood), ['ok{mesh=mesh-1} -> 10.0.6.1:10001*1']);
    const [sub] = await insightOf(store, 'egress-1');
    assert.equal((sub.status as { total: { responsesRejected: string } }).total.responsesRejected, '1');
  });

  test('a snapshot applied without a part it could not use is in force and reported as a reject with the skipped part', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    const e = RecordingSession.start(t, url, dp.caPem, 'egress-1');
    await e.session.ready;
    e.verdict = (s) => (s.routes.some((r) => r.service === 'bad') ? { ok: true, skipped: ['routes[0].endpoints: bad'] } : { ok: true });
    const offered = e.next();
    await store.create(ingress('zi-bad', 'zone-2', { bad: 1 }));
    const partial = await offered;
    await waitForStore(store, async () => JSON.stringify(await insightOf(store, 'egress-1')).includes('"responsesRejected":"1"'));
    assert.equal(e.session.lastGood?.version, partial.version, 'the usable part is in force');
  });

  test('disconnecting sets disconnectTime; reconnecting adds a subscription; at most 5 are kept', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create(MESH);
    for (let i = 0; i < 6; i++) {
      const e = RecordingSession.start(t, url, dp.caPem, 'egress-1');
      await e.session.ready;
      await e.session.close();
      await waitForStore(store, async () => {
        const subs = await insightOf(store, 'egress-1');
        return subs.length === Math.min(i + 1, 5) && subs.every((s) => typeof s.disconnectTime === 'string');
      });
    }
    const subs = await insightOf(store, 'egress-1');
    assert.equal(subs.length, 5);
    assert.equal(new Set(subs.map((s) => s.id)).size, 5);
    assert.ok(subs.every((s) => Date.parse(String(s.disconnectTime)) >= Date.parse(String(s.connectTime))));
  });

  test('identity certificates rotate before they expire and the new one is pushed', async (t) => {
    const { store, dp, url } = await startCp(t);
    await store.create({ ...MESH, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1s' } } }] } });
    const e = RecordingSession.start(t, url, dp.caPem, 'egress-1');
    const first = await e.session.ready;
    const second = await e.next();
    assert.notEqual(second.identities[0].certPem, first.identities[0].certPem);
    assert.equal(second.identities[0].caPem, first.identities[0].caPem);
    const a = certificateInfo(first.identities[0].certPem);
    const b = certificateInfo(second.identities[0].certPem);
    assert.ok(b.notAfter >= a.notAfter); // X.509 times have whole seconds
    assert.ok(a.notAfter.getTime() - a.notBefore.getTime() <= 61_000, 'lifetime is the rotation expiration (+ backdating)');
  });
});
