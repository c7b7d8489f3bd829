import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { EgressSnapshot, PassthroughRoute } from '../../src/resources/egress-config.js';
import { parsePrometheus, sample, samples } from '../helpers/prom.js';
import { admin, egress, plainEcho, rawConnect, readN, until } from './helpers.js';

type After = { after: (fn: () => unknown) => void };

// Two real ClientHellos with different SNIs (captured fixtures).
const A = { sni: 'backend{mesh=mesh-1}', hello: readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url)) };
const B = { sni: 'httpbin{mesh=mesh-1}', hello: readFileSync(new URL('../fixtures/egress/openssl-sni.bin', import.meta.url)) };

const route = (sni: string, port: number): PassthroughRoute => ({ kind: 'passthrough', sni, mesh: 'mesh-1', service: sni.slice(0, sni.indexOf('{')), endpoints: [{ address: '127.0.0.1', port, weight: 1, zone: 'zone-2' }] });
const snapshot = (version: string, routes: PassthroughRoute[]): EgressSnapshot => ({ version, identities: [], routes });

/** One connection through the egress: the hello goes up, the upstream's `up:` plus the echoed hello come back. */
async function through(t: After, port: number, hello: Buffer): Promise<void> {
  const c = await rawConnect(t, port);
  c.write(hello);
  await readN(c, 3 + hello.length);
  c.end();
}

const scrape = async (e: { adminPort: number }) => parsePrometheus((await admin(e as never, '/stats/prometheus')).body);

test('/stats/prometheus: per-route connections, bytes each way and duration histogram; a removed route loses its series', async (t) => {
  const up = await plainEcho(t, 'up'); // answers `up:` then echoes
  const e = await egress(t, snapshot('v1', [route(A.sni, up), route(B.sni, up)]));
  const N = 5;
  for (let i = 0; i < N; i++) await through(t, e.port, A.hello);
  await through(t, e.port, B.hello);
  await until(() => e.stats().routes[A.sni]?.active === 0 && e.stats().routes[A.sni]?.total === N && e.stats().routes[B.sni]?.active === 0, 'every connection closed');

  const m = await scrape(e);
  const a = { route: A.sni, kind: 'passthrough', mesh: 'mesh-1' };
  const b = { route: B.sni, kind: 'passthrough', mesh: 'mesh-1' };
  assert.equal(sample(m, 'zonectl_egress_connections_total', { ...a, outcome: 'closed' }), N);
  assert.equal(sample(m, 'zonectl_egress_connections_total', { ...b, outcome: 'closed' }), 1);
  assert.equal(sample(m, 'zonectl_egress_connections_active', a), 0);
  // in = client to upstream (the hello), out = upstream to client (`up:` and the echoed hello).
  assert.equal(sample(m, 'zonectl_egress_bytes_total', { ...a, direction: 'in' }), N * A.hello.length);
  assert.equal(sample(m, 'zonectl_egress_bytes_total', { ...a, direction: 'out' }), N * (3 + A.hello.length));
  assert.equal(sample(m, 'zonectl_egress_bytes_total', { ...b, direction: 'in' }), B.hello.length);
  // Duration histogram: N observations; the parser already checked the buckets are cumulative and end at _count.
  assert.equal(sample(m, 'zonectl_egress_connection_duration_seconds_count', a), N);
  assert.equal(sample(m, 'zonectl_egress_connection_duration_seconds_bucket', { ...a, le: '+Inf' }), N);
  assert.equal(sample(m, 'zonectl_egress_connection_duration_seconds_bucket', { ...a, le: '3600' }), N);
  assert.ok(sample(m, 'zonectl_egress_connection_duration_seconds_sum', a) > 0);
  assert.equal(m.get('zonectl_egress_connection_duration_seconds')?.type, 'histogram');
  assert.ok(sample(m, 'process_cpu_user_seconds_total') > 0);
  assert.ok(sample(m, 'nodejs_heap_size_used_bytes') > 0);

  // The next snapshot drops route B: its series go, A's keep counting from where they were.
  assert.equal(e.applySnapshot(snapshot('v2', [route(A.sni, up)])).ok, true);
  await through(t, e.port, A.hello);
  await until(() => e.stats().routes[A.sni]?.total === N + 1 && e.stats().routes[A.sni]?.active === 0, 'the next connection closed');
  const m2 = await scrape(e);
  assert.equal(sample(m2, 'zonectl_egress_connections_total', { ...a, outcome: 'closed' }), N + 1);
  assert.equal(sample(m2, 'zonectl_egress_connection_duration_seconds_count', a), N + 1);
  for (const name of ['zonectl_egress_connections_total', 'zonectl_egress_bytes_total', 'zonectl_egress_connections_active', 'zonectl_egress_connection_duration_seconds_count', 'zonectl_egress_upstream_connect_seconds_count']) {
    assert.deepEqual(samples(m2, name, { route: B.sni }), [], `${name} of the removed route`);
  }
});

test('two egresses in one process keep separate series', async (t) => {
  const up = await plainEcho(t, 'up');
  const e1 = await egress(t, snapshot('v1', [route(A.sni, up)]));
  const e2 = await egress(t, snapshot('v1', [route(A.sni, up)]));
  await through(t, e1.port, A.hello);
  await until(() => e1.stats().routes[A.sni]?.active === 0 && e1.stats().routes[A.sni]?.total === 1, 'closed');
  assert.equal(sample(await scrape(e1), 'zonectl_egress_connections_total', { route: A.sni, outcome: 'closed' }), 1);
  assert.equal(sample(await scrape(e2), 'zonectl_egress_connections_total', { route: A.sni, outcome: 'closed' }), 0);
});
