/**
 * Pages and resources through several control planes on one PostgreSQL database: a PUT
 * acknowledged by one instance is in the next GET through another, and an instance answering
 * from its read cache sends the same bytes as one reading the database (cache off), as a control
 * plane on SQLite (pages serialised from the stored text too) and as one on the memory store
 * (serialised from the resources) given the same writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, startTestControlPlane, type TestControlPlane } from '../../helpers/cp.js';
import { freshDatabase } from '../../helpers/postgres.js';

const CLOCK = '2019-07-17T18:08:41Z';
const ze = (i: number) => ({ type: 'ZoneEgress', name: `ze-${String(i).padStart(2, '0')}`, zone: 'zone-1', labels: { team: i % 2 ? 'odd' : 'even' }, networking: { address: '10.0.0.1', port: 10001 + i } });

/** Resolves once the instance's store delivered a change to `name`. */
function heard(cp: TestControlPlane, name: string): Promise<void> {
  return new Promise((resolve) => {
    const off = cp.store.watch((c) => c.key.name === name && (off(), resolve()));
  });
}

test('postgres pages: read-your-writes through another instance; cached answers are byte-identical to database ones', async (t) => {
  const url = await freshDatabase(t);
  const a = await startTestControlPlane(t, { store: 'postgres', postgres: { url }, clock: CLOCK });
  const b = await startTestControlPlane(t, { store: 'postgres', postgres: { url }, clock: CLOCK });
  const uncached = await startTestControlPlane(t, { store: 'postgres', postgres: { url, cacheBytes: 0 }, clock: CLOCK });
  const memory = await startTestControlPlane(t, { store: 'memory', clock: CLOCK });
  const sqlite = await startTestControlPlane(t, { store: 'sqlite', clock: CLOCK });
  const put = async (path: string, body: unknown) => {
    for (const cp of [memory, sqlite, a]) assert.equal((await request(cp.url + path, { method: 'PUT', body })).status, 201);
  };
  for (let i = 0; i < 20; i++) {
    const r = ze(i);
    await put(`/zoneegresses/${r.name}`, r);
    // Acknowledged by a; through b at once.
    const one = await request(`${b.url}/zoneegresses/${r.name}`);
    assert.deepEqual([one.status, (one.json as { networking: unknown }).networking], [200, r.networking]);
    const page = (await request(`${b.url}/zoneegresses?size=1&offset=${i}`)).json as { total: number; items: { name: string }[] };
    assert.deepEqual([page.total, page.items.map((x) => x.name)], [i + 1, [r.name]]);
  }
  await put('/meshes/m1', { type: 'Mesh', name: 'm1' });
  const es = { type: 'ExternalService', mesh: 'm1', name: 'es-1', networking: { address: 'es.example.com:443' }, tags: { 'kuma.io/service': 'es-1' } };
  const last = heard(b, 'es-1');
  await put('/meshes/m1/external-services/es-1', es);
  await last;

  for (const path of [
    '/zoneegresses',
    '/zoneegresses?size=7&offset=3',
    '/zoneegresses?size=5&offset=18',
    '/zoneegresses?name=ze-1&size=3',
    '/zoneegresses?filter[labels.team]=odd&size=4',
    '/zoneegresses?format=kubernetes&size=2',
    '/zoneegresses/ze-07',
    '/zoneegresses/nope',
    '/meshes/m1/external-services',
    '/external-services',
    '/meshes/m1/external-services/es-1',
    '/meshes',
  ]) {
    const [cached, db, onSqlite, reference] = await Promise.all([b, uncached, sqlite, memory].map(async (cp) => {
      const r = await request(cp.url + path);
      return { text: r.text.replaceAll(new URL(cp.url).host, 'HOST'), head: [r.status, r.headers['content-type'], r.headers.etag] };
    }));
    assert.deepEqual(cached, reference, path);
    assert.deepEqual(db, reference, path);
    assert.deepEqual(onSqlite, reference, path);
  }
});
