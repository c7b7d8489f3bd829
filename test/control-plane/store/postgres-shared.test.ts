/**
 * What only a shared store has: several instances on one PostgreSQL database. Changes of one
 * reach the watchers of the others in commit order, also after the listener connection was cut;
 * migrations are safe when instances start together; withLock excludes across instances; and
 * the errors users hit (bad password, no server, newer schema) say what to do.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { fixedClock } from '../../../src/core/clock.js';
import { UnavailableError, UsageError } from '../../../src/core/errors.js';
import { LATEST, LOCK_NS, MIGRATIONS } from '../../../src/control-plane/store/postgres/schema.js';
import { openPostgresStore } from '../../../src/control-plane/store/postgres/store.js';
import type { Store, StoreChange } from '../../../src/control-plane/store/types.js';
import { freePort } from '../../e2e/processes.js';
import { freshDatabase } from '../../helpers/postgres.js';

const clock = fixedClock('2019-07-17T18:08:41Z');
const ze = (name: string, port = 10001) => ({ type: 'ZoneEgress', name, networking: { address: '1.1.1.1', port } });

async function open(t: TestContext, url: string, instanceId?: string): Promise<Store> {
  const s = await openPostgresStore({ url, clock, instanceId });
  t.after(() => s.close());
  return s;
}

/** Resolves once `seen` satisfies `done` (checked on every change). */
function until(store: Store, done: (seen: StoreChange[]) => boolean, seen: StoreChange[] = []): { seen: StoreChange[]; reached: Promise<void> } {
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  store.watch((c) => {
    seen.push(c);
    if (done(seen)) resolve();
  });
  return { seen, reached };
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

test('postgres: instances starting together migrate once; each sees the others\' writes and changes in commit order', async (t) => {
  const url = await freshDatabase(t);
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => open(t, url, id)));
  assert.deepEqual((await sql(url, 'SELECT version FROM zonectl_schema')).rows, [{ version: LATEST }]);
  const atB = until(b, (seen) => seen.filter((x) => x.key.name === 'hot').length === 30 && seen.some((x) => x.op === 'delete'));
  const atC = until(c, (seen) => seen.filter((x) => x.key.name === 'hot').length === 30 && seen.some((x) => x.op === 'delete'));
  // Writes from two instances to one key interleave; both watchers must see versions 1..30 in order.
  await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : c).upsert(ze('hot', i + 1))));
  await a.create(ze('gone'));
  await c.delete({ type: 'ZoneEgress', name: 'gone' });
  await Promise.all([atB.reached, atC.reached]);
  for (const w of [atB.seen, atC.seen]) {
    assert.deepEqual(w.filter((x) => x.key.name === 'hot').map((x) => x.version), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(w.filter((x) => x.key.name === 'gone').map((x) => x.op), ['create', 'delete']);
  }
  const last = atB.seen.filter((x) => x.key.name === 'hot').pop();
  assert.deepEqual(last?.resource, (await b.get({ type: 'ZoneEgress', name: 'hot' })).resource, 'a remote change carries the stored document');
  assert.equal((await b.get({ type: 'ZoneEgress', name: 'hot' })).version, 30);
  await assert.rejects(b.update(ze('hot', 1), { expectedVersion: 29 }), /was changed by someone else: it is at version 30, not 29/);
});

test('postgres: after the listener connection is cut, the instance re-reads what it missed, in order', async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url, 'writer');
  const b = await open(t, url, 'reader');
  const atB = until(b, (seen) => seen.length === 20);
  // Cut b's LISTEN connection (and only that one) while a keeps writing.
  const cut = await sql(url, `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
  assert.equal(cut.rows.length, 2, 'one listener per instance');
  for (let i = 0; i < 20; i++) await a.upsert(ze(`ze-${i % 5}`, i + 1));
  await atB.reached;
  assert.deepEqual(
    atB.seen.map((c) => `${c.key.name}@${c.version}`),
    Array.from({ length: 20 }, (_, i) => `ze-${i % 5}@${Math.floor(i / 5) + 1}`),
  );
});

test('postgres: withLock excludes across instances', async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url);
  const b = await open(t, url);
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inA = new Promise<void>((r) => (entered = r));
  const first = a.withLock('signing-key', async () => {
    events.push('a-in');
    entered();
    await gate;
    events.push('a-out');
  });
  await inA;
  const second = b.withLock('signing-key', async () => {
    events.push('b-in');
  });
  const other = b.withLock('other', async () => events.push('b-other'));
  await other;
  release();
  await Promise.all([first, second]);
  assert.deepEqual(events, ['a-in', 'b-other', 'a-out', 'b-in']);
});

test('postgres: a withLock section whose connection breaks is told (its signal aborts, withLock rejects); the lock goes to another instance', { timeout: 30_000 }, async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url);
  const b = await open(t, url);
  let reason: unknown;
  const section = a.withLock('dp-server-ca', async (signal) => {
    assert.equal(signal.aborted, false);
    // The backend holding the advisory lock goes away (as in a server restart or a cut network).
    const cut = await sql(url, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ${LOCK_NS}::oid AND objsubid = 2`);
    assert.equal(cut.rowCount, 1);
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    reason = signal.reason;
    return 'done';
  });
  await assert.rejects(section, (err: unknown) => err instanceof UnavailableError && /^lost the lock "dp-server-ca": its PostgreSQL connection broke \(.+\); another instance may hold it now$/.test(err.message));
  assert.ok(reason instanceof UnavailableError);
  assert.equal(await b.withLock('dp-server-ca', async (signal) => (signal.aborted ? 'aborted' : 'b holds it')), 'b holds it');
  assert.equal(await a.withLock('dp-server-ca', async () => 'a again'), 'a again', 'a can lock again');
});

test('postgres: a version 1 database is upgraded; page totals stay exact across instances, offsets page in order', async (t) => {
  const url = await freshDatabase(t);
  // A database as zonectl with schema version 1 left it: no counters table yet.
  await sql(url, `CREATE TABLE zonectl_schema (version integer NOT NULL); INSERT INTO zonectl_schema VALUES (1); ${MIGRATIONS[0].sql}`);
  const v1 = (name: string, mesh = '') => sql(url, `SELECT * FROM zonectl_apply('{create}', $1, $2, $3, $4, '{NULL}', '2019-07-17T18:08:41Z', 'old')`, [[mesh ? 'ExternalService' : 'ZoneEgress'], [mesh], [name], [JSON.stringify(mesh ? { type: 'ExternalService', mesh, name } : ze(name))]]);
  for (const n of ['c', 'a', 'b']) await v1(`old-${n}`);
  await v1('svc', 'm1');
  const [a, b] = await Promise.all([open(t, url, 'a'), open(t, url, 'b')]);
  assert.deepEqual((await sql(url, 'SELECT version FROM zonectl_schema')).rows, [{ version: LATEST }]);
  const early = await b.list({ type: 'ZoneEgress', offset: 1, size: 1 });
  assert.deepEqual([early.total, early.items.map((i) => i.resource.name)], [3, ['old-b']], 'resources written before the upgrade are counted');
  assert.equal((await a.list({ type: 'ZoneEgress', size: 0 })).total, 3);
  // Creates, deletes, failed creates and deletes of missing keys through both instances at once.
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).upsert(ze(`ze-${String(i).padStart(2, '0')}`))));
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).delete({ type: 'ZoneEgress', name: `ze-${String(i * 3).padStart(2, '0')}` })),
    a.create(ze('ze-01')).catch(() => 'conflict'),
    b.delete({ type: 'ZoneEgress', name: 'never' }).catch(() => 'not found'),
    a.create({ type: 'ExternalService', mesh: 'm2', name: 'svc' }),
    b.create({ type: 'ExternalService', mesh: 'm1', name: 'abc' }),
  ]);
  const all = (await a.list({ type: 'ZoneEgress' })).items.map((i) => i.resource.name);
  assert.equal(all.length, 33);
  for (const store of [a, b]) {
    const pages = [];
    for (let offset = 0; offset < 40; offset += 7) {
      const page = await store.list({ type: 'ZoneEgress', offset, size: 7 });
      assert.equal(page.total, 33);
      pages.push(...page.items.map((i) => i.resource.name));
    }
    assert.deepEqual(pages, all, 'pages at increasing offsets are the whole list, in order');
  }
  assert.deepEqual(await a.list({ type: 'ZoneEgress', offset: 33, size: 5 }), { total: 33, items: [] });
  const m1 = await b.list({ type: 'ExternalService', mesh: 'm1', offset: 1, size: 5 });
  assert.deepEqual([m1.total, m1.items.map((i) => i.resource.name)], [2, ['svc']]);
  assert.equal((await b.list({ type: 'ExternalService', offset: 0, size: 1 })).total, 3);
  const filtered = await a.list({ type: 'ZoneEgress', nameContains: 'old-', offset: 1, size: 1 });
  assert.deepEqual([filtered.total, filtered.items.map((i) => i.resource.name)], [3, ['old-b']]);
});

test('postgres: a page is right while this instance has not heard of a committed change yet', async (t) => {
  const url = await freshDatabase(t);
  const a = await open(t, url, 'a');
  for (const n of ['b', 'd', 'f', 'h']) await a.create(ze(`ze-${n}`));
  assert.deepEqual((await a.list({ type: 'ZoneEgress', offset: 1, size: 2 })).items.map((i) => i.resource.name), ['ze-d', 'ze-f']);
  // Committed without a notification, as a change of another instance not heard of yet.
  const doc = JSON.stringify({ ...ze('ze-a'), creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z' });
  await sql(
    url,
    `WITH s AS (SELECT nextval('zonectl_change_seq') AS seq) INSERT INTO zonectl_changes (seq, op, type, mesh, name, version, doc, instance) SELECT seq, 'create', 'ZoneEgress', '', 'ze-a', 1, $1, 'other' FROM s`,
    [doc],
  );
  await sql(url, `INSERT INTO zonectl_resources VALUES ('ZoneEgress', '', 'ze-a', 1, '2019-07-17T18:08:41Z', $1)`, [doc]);
  await sql(url, `UPDATE zonectl_counts SET n = n + 1 WHERE type = 'ZoneEgress' AND mesh = ''`);
  const page = await a.list({ type: 'ZoneEgress', offset: 1, size: 2 });
  assert.deepEqual([page.total, page.items.map((i) => i.resource.name)], [5, ['ze-b', 'ze-d']]);
});

test('postgres: a database with a newer zonectl schema is refused', async (t) => {
  const url = await freshDatabase(t);
  await (await openPostgresStore({ url, clock })).close();
  await sql(url, 'UPDATE zonectl_schema SET version = 999');
  await assert.rejects(openPostgresStore({ url, clock }), (err: unknown) => err instanceof UnavailableError && err.message.includes(`has zonectl schema version 999, newer than this zonectl knows (${LATEST}); upgrade zonectl`));
});

test('postgres: a wrong password, a missing database and no server are clear errors', async (t) => {
  const url = new URL(await freshDatabase(t));
  const wrong = new URL(url);
  wrong.password = 'not-the-password';
  await assert.rejects(openPostgresStore({ url: wrong.toString(), clock }), (err: unknown) => err instanceof UsageError && /^PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/zt_\w+ refused the login: password authentication failed for user "postgres" \(check the user and the password in --postgres-url or --postgres-password-file\)$/.test(err.message));
  const missing = new URL(url);
  missing.pathname = '/nope';
  await assert.rejects(openPostgresStore({ url: missing.toString(), clock }), (err: unknown) => err instanceof UsageError && /database "nope" does not exist \(create it first: createdb -O USER DATABASE\)/.test(err.message));
  const nobody = `postgres://zonectl@127.0.0.1:${await freePort()}/zonectl`;
  await assert.rejects(openPostgresStore({ url: nobody, clock }), (err: unknown) => err instanceof UnavailableError && /^cannot reach PostgreSQL at postgres:\/\/zonectl@127\.0\.0\.1:\d+\/zonectl: .*ECONNREFUSED.* \(is the server running and the address right\?\)$/.test(err.message));
});
