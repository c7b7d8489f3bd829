/**
 * PostgreSQL restarted under load: two store instances keep writing while the server stops and
 * comes back. Writes fail (UnavailableError) while it is down, then succeed again without
 * reopening the stores; no acknowledged write is lost; the other instance's watchers catch up.
 * This test runs its own server (restarting the shared one would disturb other test files).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedClock } from '../../../src/core/clock.js';
import { UnavailableError } from '../../../src/core/errors.js';
import { openPostgresStore } from '../../../src/control-plane/store/postgres/store.js';
import type { StoreChange } from '../../../src/control-plane/store/types.js';
import { startEmbeddedPostgres } from '../../../scripts/embedded-postgres.mjs';
import { eventually } from '../../e2e/processes.js';
import pg from 'pg';

test('postgres: the server restarted under load; instances recover by themselves and lose no acknowledged write', async (t) => {
  const server = await startEmbeddedPostgres();
  t.after(() => server.stop());
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE restart');
  await admin.end();
  const url = server.urlOf('restart');
  const clock = fixedClock('2019-07-17T18:08:41Z');
  const a = await openPostgresStore({ url, clock });
  const b = await openPostgresStore({ url, clock });
  t.after(() => Promise.all([a.close(), b.close()]));
  const seenByB = new Map<string, number>();
  b.watch((c: StoreChange) => seenByB.set(c.key.name, c.version));

  const acked = new Map<string, number>();
  let failures = 0;
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i % 20}`;
      try {
        const r = await (w % 2 ? a : b).upsert({ type: 'ZoneEgress', name, networking: { address: '1.1.1.1', port: 1 + i } });
        acked.set(name, r.version);
      } catch (err) {
        assert.ok(err instanceof UnavailableError, `a failed write is UnavailableError, got ${String(err)}`);
        failures++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  await eventually('some writes', async () => acked.size >= 20);
  await server.pause();
  await new Promise((r) => setTimeout(r, 300));
  await server.resume();
  await eventually('both instances to write again after the restart', async () => (await a.upsert({ type: 'Mesh', name: 'probe-a' })) && (await b.upsert({ type: 'Mesh', name: 'probe-b' })), 30_000);
  const afterRestart = [...acked.values()].reduce((x, y) => x + y, 0);
  await eventually('more acknowledged writes', async () => [...acked.values()].reduce((x, y) => x + y, 0) > afterRestart + 40, 30_000);
  stop = true;
  await Promise.all(writers);
  assert.ok(failures > 0, 'writes failed while the server was down');
  for (const [name, version] of acked) {
    const got = await a.get({ type: 'ZoneEgress', name });
    assert.ok(got.version >= version, `${name}: stored version ${got.version} < acknowledged ${version}`);
  }
  // B's feed reconnected and caught up: its watchers saw the last version of everything.
  await eventually('B to have seen every last version', async () => {
    for (const [name, version] of acked) if ((seenByB.get(name) ?? 0) < version) return false;
    return true;
  });
});
