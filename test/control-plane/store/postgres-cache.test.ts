/**
 * The PostgreSQL store's read cache (src/control-plane/store/postgres/cache.ts): reads are
 * answered from memory only when the instance has applied every change the database committed
 * before the read, so a read through any instance sees every write acknowledged before it, by
 * any instance; and the documents it holds stay within the budget.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { fixedClock } from '../../../src/core/clock.js';
import { NotFoundError } from '../../../src/core/errors.js';
import { PostgresStore, type PostgresStoreOptions } from '../../../src/control-plane/store/postgres/store.js';
import { freshDatabase } from '../../helpers/postgres.js';

const clock = fixedClock('2019-07-17T18:08:41Z');
const ze = (name: string, port = 10001) => ({ type: 'ZoneEgress', name, networking: { address: '1.1.1.1', port } });

async function open(t: TestContext, url: string, opts: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const s = await PostgresStore.open({ url, clock, ...opts });
  t.after(() => s.close());
  return s;
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

/** Resolves once `store` has delivered a change to `name` at `version`. */
function heard(store: PostgresStore, name: string, version: number): Promise<void> {
  return new Promise((resolve) => {
    const off = store.watch((c) => {
      if (c.key.name === name && c.version === version) {
        off();
        resolve();
      }
    });
  });
}

const names = (r: { items: { resource: { name: string } }[] }) => r.items.map((i) => i.resource.name);

test('postgres cache: a write acknowledged by one instance is read at once through another; reads come from memory once it has heard', async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url);
  const b = await open(t, url);
  for (let i = 0; i < 30; i++) {
    const name = `ze-${String(i).padStart(2, '0')}`;
    const caughtUp = heard(b, name, 2);
    // Acknowledged by a, then read through b right away: b's notification may still be on its way.
    await a.create(ze(name, 1));
    await a.update(ze(name, 2));
    assert.equal(((await b.get({ type: 'ZoneEgress', name })).resource.networking as { port: number }).port, 2, `${name} through b`);
    const page = await b.list({ type: 'ZoneEgress', offset: i, size: 5 });
    assert.deepEqual([page.total, names(page)], [i + 1, [name]]);
    await caughtUp;
  }
  const gone = new Promise<void>((resolve) => {
    const off = b.watch((c) => c.op === 'delete' && (off(), resolve()));
  });
  await a.delete({ type: 'ZoneEgress', name: 'ze-29' });
  await assert.rejects(b.get({ type: 'ZoneEgress', name: 'ze-29' }), NotFoundError);
  assert.equal((await b.list({ type: 'ZoneEgress', size: 1 })).total, 29);
  await gone;

  // b has heard every change now (nothing is being written): its reads are answered from memory.
  const before = b.readStats;
  const page = await b.list({ type: 'ZoneEgress', offset: 10, size: 3 });
  assert.deepEqual([page.total, names(page)], [29, ['ze-10', 'ze-11', 'ze-12']]);
  assert.deepEqual(page.items[0].resource, { ...ze('ze-10', 2), creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z' });
  assert.equal(page.items[0].version, 2);
  assert.deepEqual(names(await b.list({ type: 'ZoneEgress', nameContains: '-2', offset: 8, size: 5 })), ['ze-28']);
  assert.equal((await b.get({ type: 'ZoneEgress', name: 'ze-03' })).version, 2);
  await assert.rejects(b.get({ type: 'ZoneEgress', name: 'nope' }), NotFoundError);
  assert.equal(b.readStats.cached - before.cached, 4, 'four reads from memory');
  assert.equal(b.readStats.database, before.database, 'none from the database');
});

test('postgres cache: a change committed but not heard of yet sends reads to the database', async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url);
  for (const n of ['b', 'd']) await a.create(ze(`ze-${n}`));
  assert.deepEqual(names(await a.list({ type: 'ZoneEgress' })), ['ze-b', 'ze-d']);
  const cached = a.readStats.cached;
  assert.ok(cached > 0, 'served from memory while up to date');
  // Committed without a notification, as a change of another instance not heard of yet.
  const doc = JSON.stringify({ ...ze('ze-a'), creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z' });
  await sql(url, `INSERT INTO zonectl_changes (seq, op, type, mesh, name, version, doc, instance) VALUES (nextval('zonectl_change_seq'), 'create', 'ZoneEgress', '', 'ze-a', 1, $1, 'other')`, [doc]);
  await sql(url, `INSERT INTO zonectl_resources VALUES ('ZoneEgress', '', 'ze-a', 1, '2019-07-17T18:08:41Z', $1)`, [doc]);
  await sql(url, `UPDATE zonectl_counts SET n = n + 1 WHERE type = 'ZoneEgress' AND mesh = ''`);
  assert.deepEqual(names(await a.list({ type: 'ZoneEgress' })), ['ze-a', 'ze-b', 'ze-d']);
  assert.equal((await a.get({ type: 'ZoneEgress', name: 'ze-a' })).version, 1);
  assert.equal(a.readStats.cached, cached, 'the stale copy answered nothing');
});

test('postgres cache: the documents held stay within the budget; past it, reads go to the database and stay right', async (t) => {
  const url = await freshDatabase(t);
  const small = await open(t, url, { cacheBytes: 4000 });
  const problems: string[] = [];
  const none = await open(t, url, { cacheBytes: 0, onProblem: (what) => problems.push(what) });
  for (let i = 0; i < 10; i++) await small.create(ze(`ze-${i}`));
  assert.ok(small.readStats.cacheBytes > 0 && small.readStats.cacheBytes <= 4000, `held ${small.readStats.cacheBytes} bytes`);
  assert.equal((await small.list({ type: 'ZoneEgress', size: 100 })).total, 10);
  for (let i = 10; i < 40; i++) await small.create(ze(`ze-${i}`));
  assert.equal(small.readStats.cacheBytes, 0, 'over the budget: documents dropped');
  const database = small.readStats.database;
  const page = await small.list({ type: 'ZoneEgress', offset: 38, size: 5 });
  assert.deepEqual([page.total, names(page)], [40, ['ze-8', 'ze-9']]);
  assert.equal(small.readStats.database, database + 1);
  assert.equal((await none.list({ type: 'ZoneEgress', size: 1 })).total, 40);
  assert.deepEqual([none.readStats.cached, none.readStats.cacheBytes], [0, 0], 'cacheBytes 0: no cache');
  assert.deepEqual(problems, []);
});
