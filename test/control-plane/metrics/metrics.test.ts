import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { startCpSession } from '../../../src/egress/cp-session.js';
import type { EgressSnapshot } from '../../../src/resources/egress-config.js';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/cp.js';
import { parsePrometheus, sample, sampleOr0, samples, scrape } from '../../helpers/prom.js';
import { startGlobal, startZone } from '../zone-sync/harness.js';

const MESH = { type: 'Mesh', name: 'mesh-1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } };

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const metricsOf = (cp: TestControlPlane) => scrape(`${cp.url}/metrics`);

test('GET /metrics: requests by route template and status, latency histograms, store latency, without admin rights', async (t) => {
  const cp = await startTestControlPlane(t, { localhostIsAdmin: false });
  const auth = { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json' };
  const es = (name: string) => ({ type: 'ExternalService', mesh: 'mesh-1', name, tags: { 'kuma.io/service': name }, networking: { address: 'example.com:443' } });
  assert.equal((await fetch(`${cp.url}/meshes/mesh-1`, { method: 'PUT', headers: auth, body: JSON.stringify(MESH) })).status, 201);
  const before = await metricsOf(cp);
  const storeCountBefore = sample(before, 'zonectl_cp_store_operation_duration_seconds_count', { operation: 'upsert', store: 'memory' });
  for (const name of ['a', 'b', 'c']) {
    assert.equal((await fetch(`${cp.url}/meshes/mesh-1/external-services/${name}`, { method: 'PUT', headers: auth, body: JSON.stringify(es(name)) })).status, 201);
  }
  assert.equal((await fetch(`${cp.url}/meshes/mesh-1/external-services/a`)).status, 200);
  assert.equal((await fetch(`${cp.url}/meshes/mesh-1/external-services/nope`)).status, 404);
  // Unknown paths share one label value, whatever the path.
  for (const p of ['/no/such/thing', '/x1', '/x2?y=1']) assert.equal((await fetch(`${cp.url}${p}`)).status, 404);

  const m = await metricsOf(cp);
  const route = '/meshes/{mesh}/external-services/{name}';
  assert.equal(sample(m, 'zonectl_cp_http_requests_total', { method: 'PUT', route, status: '201' }), 3);
  assert.equal(sample(m, 'zonectl_cp_http_requests_total', { method: 'GET', route, status: '200' }), 1);
  assert.equal(sample(m, 'zonectl_cp_http_requests_total', { method: 'GET', route, status: '404' }), 1);
  assert.equal(sample(m, 'zonectl_cp_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 3);
  assert.equal(sample(m, 'zonectl_cp_http_request_duration_seconds_count', { method: 'PUT', route }), 3);
  assert.equal(sample(m, 'zonectl_cp_http_request_duration_seconds_bucket', { method: 'PUT', route, le: '+Inf' }), 3);
  assert.ok(sample(m, 'zonectl_cp_http_request_duration_seconds_sum', { method: 'PUT', route }) > 0);
  // Raw paths never become label values.
  const routes = new Set(samples(m, 'zonectl_cp_http_requests_total').map((s) => s.labels.route));
  for (const r of routes) assert.ok(r === 'unmatched' || !/\/(a|nope|x1|no)(\/|$)/.test(r), r);
  // The scrape before this one counted itself too.
  assert.equal(sample(m, 'zonectl_cp_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }), 1);

  // Three more upserts went to the store (PUT = upsert), and a get that found nothing counted as not-found.
  assert.equal(sample(m, 'zonectl_cp_store_operation_duration_seconds_count', { operation: 'upsert', store: 'memory' }), storeCountBefore + 3);
  assert.ok(sample(m, 'zonectl_cp_store_errors_total', { operation: 'get', store: 'memory', code: 'not-found' }) >= 1);

  // Process metrics, in this instance's registry.
  assert.ok(sample(m, 'process_cpu_user_seconds_total') > 0);
  assert.ok(sample(m, 'nodejs_heap_size_used_bytes') > 0);
  assert.equal(m.get('zonectl_cp_http_requests_total')?.type, 'counter');
  assert.equal(m.get('zonectl_cp_http_request_duration_seconds')?.type, 'histogram');
});

test('two control planes in one process keep separate series', async (t) => {
  const [a, b] = await Promise.all([startTestControlPlane(t), startTestControlPlane(t)]);
  for (let i = 0; i < 4; i++) await fetch(`${a.url}/meshes`);
  const ma = await metricsOf(a);
  const mb = await metricsOf(b);
  assert.equal(sample(ma, 'zonectl_cp_http_requests_total', { method: 'GET', route: '/meshes', status: '200' }), 4);
  assert.equal(sampleOr0(mb, 'zonectl_cp_http_requests_total', { method: 'GET', route: '/meshes', status: '200' }), 0);
});

test('connected egresses go 1 then 0; snapshot pushes and rejections (NACK) are counted', async (t) => {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  assert.equal((await api(cp.url, 'PUT', '/meshes/mesh-1', MESH)).status, 201);
  const token = (await api(cp.url, 'POST', '/tokens/zone', { zone: 'zone-1', scope: ['egress'], validFor: '1h' })).text;
  const dpUrl = `https://127.0.0.1:${cp.instance.ctx.options.dpPortBound as number}`;
  let reject = true;
  const offered: EgressSnapshot[] = [];
  let onOffer: (() => void) | undefined;
  const session = startCpSession({
    cpAddress: dpUrl,
    caCertFile: cp.instance.ctx.options.dpCaCertFile as string,
    token,
    zoneEgress: { type: 'ZoneEgress', name: 'ze-1', networking: { address: '127.0.0.1', port: 10002, admin: { port: 9901 } } },
    version: '0.1.0',
    backoff: { initialMs: 20, maxMs: 100 },
    onSnapshot: (s) => {
      offered.push(s);
      onOffer?.();
      return reject ? { ok: false, reason: 'test says no' } : { ok: true };
    },
  });
  t.after(() => session.close());
  // `ready` waits for an accepted snapshot; the first one is refused, so wait for its NACK.
  const m1 = await untilMetrics(cp, (m) => sampleOr0(m, 'zonectl_cp_snapshot_rejections_total') >= 1);
  assert.equal(sample(m1, 'zonectl_cp_egresses_connected'), 1);
  assert.equal(sample(m1, 'zonectl_cp_snapshot_pushes_total'), offered.length);
  assert.equal(sample(m1, 'zonectl_cp_snapshot_rejections_total'), 1);
  assert.equal(sample(m1, 'zonectl_cp_snapshot_acks_total'), 0);
  assert.equal(sample(m1, 'zonectl_cp_token_verifications_total', { scope: 'egress', result: 'ok' }) >= 3, true); // bootstrap, stream, ack

  // A config change pushes a new version, which this time is accepted.
  reject = false;
  const pushed = new Promise<void>((r) => (onOffer = r));
  assert.equal((await api(cp.url, 'PUT', '/meshes/mesh-1/external-services/es-1', { type: 'ExternalService', mesh: 'mesh-1', name: 'es-1', tags: { 'kuma.io/service': 'es-1' }, networking: { address: 'example.com:443' } })).status, 201);
  await pushed;
  const m2 = await untilMetrics(cp, (m) => sampleOr0(m, 'zonectl_cp_snapshot_acks_total') >= 1);
  assert.equal(sample(m2, 'zonectl_cp_snapshot_pushes_total'), 2);
  assert.equal(sample(m2, 'zonectl_cp_snapshot_rejections_total'), 1);

  await session.close();
  const m3 = await untilMetrics(cp, (m) => sample(m, 'zonectl_cp_egresses_connected') === 0);
  assert.equal(sample(m3, 'zonectl_cp_egresses_connected'), 0);
});

test('token verifications by result: ok, expired, forged signature, wrong zone', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock: Clock = { now: () => new Date(now) };
  const cp = await startTestControlPlane(t, { zone: 'zone-1', clock, options: { dpServer: false } });
  const mint = async (zone: string) => (await api(cp.url, 'POST', '/tokens/zone', { zone, scope: ['egress'], validFor: '1h' })).text;
  const verify = async (token: string) => JSON.parse((await api(cp.url, 'POST', '/tokens/zone/verify', { token, scope: 'egress' })).text) as { valid: boolean; reason?: string };
  const good = await mint('zone-1');
  const other = await mint('zone-2');
  const [h, p, sig] = good.split('.');
  const forged = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
  assert.equal((await verify(good)).valid, true);
  assert.equal((await verify(forged)).reason, 'signature-invalid');
  assert.equal((await verify(other)).reason, 'zone-mismatch');
  now += 2 * 3600_000;
  assert.equal((await verify(good)).reason, 'expired');
  assert.equal((await verify(good)).reason, 'expired');

  const m = await metricsOf(cp);
  assert.equal(sample(m, 'zonectl_cp_token_verifications_total', { scope: 'egress', result: 'ok' }), 1);
  assert.equal(sample(m, 'zonectl_cp_token_verifications_total', { scope: 'egress', result: 'signature-invalid' }), 1);
  assert.equal(sample(m, 'zonectl_cp_token_verifications_total', { scope: 'egress', result: 'zone-mismatch' }), 1);
  assert.equal(sample(m, 'zonectl_cp_token_verifications_total', { scope: 'egress', result: 'expired' }), 2);
});

test('multizone: the global counts connected zones, a zone reports its sync state; both verify cp-scoped tokens', async (t) => {
  const global = await startGlobal(t);
  const zone = await startZone(t, global, 'zone-1');
  const g = await untilMetrics(global, (m) => sample(m, 'zonectl_cp_kds_zones_connected') === 1);
  assert.equal(sample(g, 'zonectl_cp_token_verifications_total', { scope: 'cp', result: 'ok' }) >= 1, true);
  const z = await metricsOf(zone);
  assert.equal(sample(z, 'zonectl_cp_kds_global_sync_state', { state: 'synced' }), 1);
  assert.equal(samples(z, 'zonectl_cp_kds_global_sync_state').length, 1);
  await zone.instance.stop();
  await untilMetrics(global, (m) => sample(m, 'zonectl_cp_kds_zones_connected') === 0);
});

test('the Prometheus parser of these tests refuses malformed expositions', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{k="v\\"q"} 1\n';
  assert.equal(sample(parsePrometheus(ok), 'a_total', { k: 'v"q' }), 1);
  const bad = [
    'a_total 1', // no final newline
    'a-b 1\n', // bad name
    'a{k=v} 1\n', // unquoted value
    'a{k="v",k="w"} 1\n', // duplicate label
    'a 1\na 2\n', // duplicate series
    'a one\n', // not a float
    'a 1\nb 1\na 2\n', // family split
    'a 1\n# TYPE a counter\n', // TYPE after samples
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n', // not cumulative
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n', // +Inf != count
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n', // no +Inf
  ];
  for (const text of bad) assert.throws(() => parsePrometheus(text), Error, JSON.stringify(text));
});

/** Scrapes until `pred` holds: acks and stream ends reach the control plane asynchronously. */
async function untilMetrics(cp: TestControlPlane, pred: (m: Awaited<ReturnType<typeof metricsOf>>) => boolean): Promise<Awaited<ReturnType<typeof metricsOf>>> {
  for (let i = 0; ; i++) {
    const m = await metricsOf(cp);
    if (pred(m)) return m;
    if (i > 200) assert.fail('metrics never reached the expected state');
    await new Promise((r) => setTimeout(r, 10));
  }
}
