import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { fixedClock } from '../../../src/core/clock.js';
import { UnavailableError } from '../../../src/core/errors.js';
import { MIGRATIONS } from '../../../src/control-plane/store/migrations.js';
import { openSqliteStore } from '../../../src/control-plane/store/sqlite.js';
import { tmpDir } from '../../helpers/tmp.js';
import { storeConformance } from './conformance.js';

storeConformance('sqlite', ({ clock, t }) => openSqliteStore({ path: join(tmpDir(t), 'store.db'), clock }));

const clock = fixedClock('2019-07-17T18:08:41Z');

test('sqlite: data survives a reopen; the schema is migrated once and runs in WAL with synchronous=FULL', async (t) => {
  const path = join(tmpDir(t), 'nested', 'store.db');
  const a = openSqliteStore({ path, clock });
  await Promise.all(Array.from({ length: 25 }, (_, i) => a.upsert({ type: 'ZoneEgress', name: `ze-${i}`, networking: { address: '1.1.1.1', port: 1000 + i } })));
  await a.upsert({ type: 'ZoneEgress', name: 'ze-3', networking: { address: '1.1.1.1', port: 3 } });
  await a.close();
  const b = openSqliteStore({ path, clock });
  assert.equal((await b.list({ type: 'ZoneEgress' })).total, 25);
  const ze3 = await b.get({ type: 'ZoneEgress', name: 'ze-3' });
  assert.equal(ze3.version, 2);
  assert.deepEqual(ze3.resource.networking, { address: '1.1.1.1', port: 3 });
  assert.throws(() => openSqliteStore({ path, clock }), (err: unknown) => err instanceof UnavailableError && /is in use by another control plane/.test(err.message));
  await b.close();
  const raw = new Database(path, { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS[MIGRATIONS.length - 1].version);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
});

test('sqlite: a store written by a newer zonectl is refused with a clear message', (t) => {
  const path = join(tmpDir(t), 'store.db');
  const raw = new Database(path);
  raw.pragma('user_version = 999');
  raw.close();
  assert.throws(() => openSqliteStore({ path, clock }), (err: unknown) => err instanceof UnavailableError && /schema version 999, newer than this zonectl knows/.test(err.message));
});

test('sqlite: writes queued when close() is called are committed, not dropped', async (t) => {
  const path = join(tmpDir(t), 'store.db');
  const a = openSqliteStore({ path, clock });
  const writes = Array.from({ length: 10 }, (_, i) => a.create({ type: 'Mesh', name: `m${i}` }));
  await a.close();
  await Promise.all(writes);
  const b = openSqliteStore({ path, clock });
  t.after(() => b.close());
  assert.equal((await b.list({ type: 'Mesh' })).total, 10);
});

test('sqlite: a store file that exists but is not a database is refused, naming the file and how to recover', async (t) => {
  const dir = tmpDir(t);
  const empty = join(dir, 'empty.db');
  writeFileSync(empty, '');
  assert.throws(
    () => openSqliteStore({ path: empty, clock }),
    (err: unknown) =>
      err instanceof UnavailableError &&
      err.message === `the store ${empty} is empty (0 bytes), not a zonectl database: restore it from a backup, or move it away to start a new, empty cluster (new signing keys: every zone token must be minted again), e.g. mv ${empty} ${empty}.empty`,
  );
  assert.equal(statSync(empty).size, 0, 'the file is left as it was');
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'not a database at all, but long enough to have a header. '.repeat(100));
  assert.throws(
    () => openSqliteStore({ path: garbage, clock }),
    (err: unknown) => err instanceof UnavailableError && err.message === `the store ${garbage} is not a valid SQLite database (file is not a database): restore it from a backup, or move it away to start a new, empty cluster (new signing keys: every zone token must be minted again)`,
  );
  // A store whose database file was moved away while its write-ahead log stayed: SQLite would
  // discard the log and start empty.
  const moved = join(dir, 'moved.db');
  const a = openSqliteStore({ path: moved, clock });
  await a.create({ type: 'Mesh', name: 'default' });
  const walCopy = readFileSync(`${moved}-wal`);
  await a.close();
  rmSync(moved);
  writeFileSync(`${moved}-wal`, walCopy);
  assert.throws(() => openSqliteStore({ path: moved, clock }), (err: unknown) => err instanceof UnavailableError && err.message.startsWith(`the store ${moved} is missing but its write-ahead log ${moved}-wal (${walCopy.length} bytes) is there`));
  assert.equal(existsSync(moved), false);
});

test('sqlite: the first start creates the store atomically, 0600, with no temporary file left', async (t) => {
  const path = join(tmpDir(t), 'store.db');
  const a = openSqliteStore({ path, clock });
  await a.create({ type: 'Mesh', name: 'default' });
  await a.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dirname(path)).sort(), ['store.db', 'store.db.reserve']);
  const b = openSqliteStore({ path, clock });
  t.after(() => b.close());
  assert.equal((await b.list({ type: 'Mesh' })).total, 1);
});
