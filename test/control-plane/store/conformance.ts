/**
 * The store conformance suite: every Store implementation (memory, SQLite, later PostgreSQL) runs
 * it through its own *.test.ts with a factory. It pins the contract of src/control-plane/store/types.ts:
 * sentinel errors, versions, server-set timestamps, ordering and pagination, and watch delivery.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { ConflictError, NotFoundError, PreconditionFailedError, UnavailableError } from '../../../src/core/errors.js';
import type { Store, StoreChange } from '../../../src/control-plane/store/types.js';

/** Makes a fresh, empty store using the given clock. `t` is for teardown of files etc. */
export type StoreFactory = (opts: { clock: Clock; t: TestContext }) => Store | Promise<Store>;

/** A clock tests can move: starts at 2019-07-17T18:08:41Z. */
function steppingClock(): Clock & { advance(ms: number): void } {
  let t = Date.parse('2019-07-17T18:08:41Z');
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

const ze = (name: string, port = 10001) => ({ type: 'ZoneEgress', name, networking: { address: '1.1.1.1', port } });
const es = (mesh: string, name: string) => ({ type: 'ExternalService', mesh, name, networking: { address: `${name}.example.com:443` }, tags: { 'kuma.io/service': name } });

export function storeConformance(label: string, factory: StoreFactory): void {
  describe(`store conformance: ${label}`, () => {
    async function open(t: TestContext) {
      const clock = steppingClock();
      const store = await factory({ clock, t });
      t.after(() => store.close());
      return { store, clock };
    }

    test('create stores the resource with server-set timestamps and version 1', async (t) => {
      const { store } = await open(t);
      const created = await store.create({ ...ze('ze-1'), creationTime: '2000-01-01T00:00:00Z', kri: 'ignored' });
      assert.equal(created.version, 1);
      const got = await store.get({ type: 'ZoneEgress', name: 'ze-1' });
      assert.deepEqual(got.resource, { type: 'ZoneEgress', name: 'ze-1', networking: { address: '1.1.1.1', port: 10001 }, creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z' });
      assert.equal(got.version, 1);
      await assert.rejects(store.create(ze('ze-1')), ConflictError);
    });

    test('get of a missing resource is NotFoundError', async (t) => {
      const { store } = await open(t);
      await assert.rejects(store.get({ type: 'ZoneEgress', name: 'nope' }), NotFoundError);
      await store.create(ze('x'));
      await assert.rejects(store.get({ type: 'ZoneIngress', name: 'x' }), NotFoundError, 'types are separate');
    });

    test('update bumps the version, keeps creationTime, moves modificationTime, checks expectedVersion', async (t) => {
      const { store, clock } = await open(t);
      await store.create(ze('ze-1'));
      clock.advance(1500);
      const u = await store.update(ze('ze-1', 2000), { expectedVersion: 1 });
      assert.equal(u.version, 2);
      assert.equal(u.resource.creationTime, '2019-07-17T18:08:41Z');
      assert.equal(u.resource.modificationTime, '2019-07-17T18:08:42.500Z');
      await assert.rejects(store.update(ze('ze-1', 3000), { expectedVersion: 1 }), PreconditionFailedError);
      assert.deepEqual((await store.get({ type: 'ZoneEgress', name: 'ze-1' })).resource.networking, u.resource.networking, 'a stale update changes nothing');
      const lastWriteWins = await store.update(ze('ze-1', 4000));
      assert.equal(lastWriteWins.version, 3);
      await assert.rejects(store.update(ze('missing')), NotFoundError);
    });

    test('upsert creates then updates and says which', async (t) => {
      const { store } = await open(t);
      const a = await store.upsert(ze('ze-1'));
      assert.equal(a.created, true);
      assert.equal(a.version, 1);
      const b = await store.upsert(ze('ze-1', 2), { expectedVersion: 1 });
      assert.equal(b.created, false);
      assert.equal(b.version, 2);
      await assert.rejects(store.upsert(ze('ze-1', 3), { expectedVersion: 1 }), PreconditionFailedError);
      await assert.rejects(store.upsert(ze('ze-2'), { expectedVersion: 4 }), PreconditionFailedError, 'a version cannot match a missing resource');
      await assert.rejects(store.get({ type: 'ZoneEgress', name: 'ze-2' }), NotFoundError);
    });

    test('delete removes, checks expectedVersion, and is NotFoundError when missing', async (t) => {
      const { store } = await open(t);
      await store.create(ze('ze-1'));
      await store.update(ze('ze-1', 2));
      await assert.rejects(store.delete({ type: 'ZoneEgress', name: 'ze-1' }, { expectedVersion: 1 }), PreconditionFailedError);
      await store.delete({ type: 'ZoneEgress', name: 'ze-1' }, { expectedVersion: 2 });
      await assert.rejects(store.get({ type: 'ZoneEgress', name: 'ze-1' }), NotFoundError);
      await assert.rejects(store.delete({ type: 'ZoneEgress', name: 'ze-1' }), NotFoundError);
      const again = await store.create(ze('ze-1'));
      assert.equal(again.version, 1, 'a re-created resource starts over');
    });

    test('mesh is part of the key', async (t) => {
      const { store } = await open(t);
      await store.create(es('m1', 'svc'));
      await store.create(es('m2', 'svc'));
      assert.equal((await store.get({ type: 'ExternalService', mesh: 'm2', name: 'svc' })).resource.mesh, 'm2');
      await assert.rejects(store.get({ type: 'ExternalService', name: 'svc' }), NotFoundError);
      await store.delete({ type: 'ExternalService', mesh: 'm1', name: 'svc' });
      assert.equal((await store.list({ type: 'ExternalService' })).total, 1);
    });

    test('list orders by name then mesh, pages with offset/size, filters by mesh and name substring', async (t) => {
      const { store } = await open(t);
      for (const n of ['c', 'a', 'b_1', 'b%2', 'd']) await store.create(ze(`ze-${n}`));
      await store.create(ze('other'));
      await store.create({ type: 'ZoneIngress', name: 'ze-zi' });
      const all = await store.list({ type: 'ZoneEgress' });
      assert.deepEqual(all.items.map((i) => i.resource.name), ['other', 'ze-a', 'ze-b%2', 'ze-b_1', 'ze-c', 'ze-d']);
      assert.equal(all.total, 6);
      const page = await store.list({ type: 'ZoneEgress', offset: 2, size: 2 });
      assert.deepEqual(page.items.map((i) => i.resource.name), ['ze-b%2', 'ze-b_1']);
      assert.equal(page.total, 6);
      const past = await store.list({ type: 'ZoneEgress', offset: 10, size: 2 });
      assert.deepEqual(past, { total: 6, items: [] });
      const filtered = await store.list({ type: 'ZoneEgress', nameContains: 'b_', size: 10 });
      assert.deepEqual(filtered.items.map((i) => i.resource.name), ['ze-b_1'], '_ is a literal, not a wildcard');
      assert.equal((await store.list({ type: 'ZoneEgress', nameContains: '%' })).total, 1, '% is a literal');
      assert.equal((await store.list({ type: 'ZoneEgress', nameContains: 'ZE' })).total, 0, 'the filter is case-sensitive');
      await store.create(es('m2', 'svc'));
      await store.create(es('m1', 'svc'));
      await store.create(es('m1', 'abc'));
      const es1 = await store.list({ type: 'ExternalService', mesh: 'm1' });
      assert.deepEqual(es1.items.map((i) => `${i.resource.mesh}/${i.resource.name}`), ['m1/abc', 'm1/svc']);
      const esAll = await store.list({ type: 'ExternalService' });
      assert.deepEqual(esAll.items.map((i) => `${i.resource.mesh}/${i.resource.name}`), ['m1/abc', 'm1/svc', 'm2/svc']);
      assert.equal(all.items[0].version, 1);
    });

    test('watch delivers every committed change in order, also for concurrent writes', async (t) => {
      const { store } = await open(t);
      const seen: StoreChange[] = [];
      const unsubscribe = store.watch((c) => seen.push(c));
      store.watch(() => {
        throw new Error('a bad subscriber must not break the store');
      });
      await store.create(ze('a'));
      await store.update(ze('a', 2));
      await store.delete({ type: 'ZoneEgress', name: 'a' });
      assert.deepEqual(
        seen.map((c) => [c.op, c.key.name, c.key.mesh, c.version, c.resource?.networking]),
        [
          ['create', 'a', '', 1, { address: '1.1.1.1', port: 10001 }],
          ['update', 'a', '', 2, { address: '1.1.1.1', port: 2 }],
          ['delete', 'a', '', 1 + 1, undefined],
        ],
      );
      seen.length = 0;
      const results = await Promise.allSettled([
        ...Array.from({ length: 40 }, (_, i) => store.upsert(ze('hot', i + 1))),
        store.create(ze('b')),
        store.create(ze('b')),
      ]);
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1, 'exactly one of the duplicate creates fails');
      const hot = seen.filter((c) => c.key.name === 'hot');
      assert.deepEqual(hot.map((c) => c.version), Array.from({ length: 40 }, (_, i) => i + 1), 'versions arrive in commit order');
      const final = await store.get({ type: 'ZoneEgress', name: 'hot' });
      assert.deepEqual(final.resource.networking, hot[39].resource?.networking, 'the last change seen is the stored state');
      assert.equal(seen.filter((c) => c.key.name === 'b').length, 1);
      unsubscribe();
      await store.create(ze('c'));
      assert.equal(seen.some((c) => c.key.name === 'c'), false, 'no delivery after unsubscribe');
    });

    test('returned resources are copies', async (t) => {
      const { store } = await open(t);
      const input = ze('a');
      const created = await store.create(input);
      input.networking.port = 1;
      (created.resource.networking as { port: number }).port = 2;
      const got = await store.get({ type: 'ZoneEgress', name: 'a' });
      (got.resource.networking as { port: number }).port = 3;
      const listed = await store.list({ type: 'ZoneEgress' });
      assert.equal((listed.items[0].resource.networking as { port: number }).port, 10001);
    });

    test('withLock serialises critical sections of the same name', async (t) => {
      const { store } = await open(t);
      const events: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const first = store.withLock('k', async () => {
        events.push('first-in');
        await gate;
        events.push('first-out');
        return 1;
      });
      const second = store.withLock('k', async () => {
        events.push('second-in');
        return 2;
      });
      const other = store.withLock('other', async () => {
        events.push('other-in');
        return 3;
      });
      await other;
      release();
      assert.deepEqual(await Promise.all([first, second, other]), [1, 2, 3]);
      assert.deepEqual(events, ['first-in', 'other-in', 'first-out', 'second-in']);
      await assert.rejects(store.withLock('k', async () => Promise.reject(new Error('boom'))), /boom/);
      assert.equal(await store.withLock('k', async () => 'free again'), 'free again', 'a failing section releases the lock');
    });

    test('after close, calls fail with UnavailableError', async (t) => {
      const { store } = await open(t);
      const pending = store.create(ze('queued'));
      await store.close();
      await pending.catch(() => undefined);
      await assert.rejects(store.get({ type: 'ZoneEgress', name: 'queued' }), UnavailableError);
      await assert.rejects(store.create(ze('late')), UnavailableError);
    });
  });
}
