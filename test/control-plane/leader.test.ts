/**
 * The leader's housekeeping of instance records (src/control-plane/leader.ts): records of
 * instances dead for longer than the pruning delay are deleted by the leader, only after a round
 * of leader work that saw them dead succeeded; records of live instances stay.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { INSTANCE_TYPE, startLeaderElection } from '../../src/control-plane/leader.js';
import { createMemoryStore } from '../../src/control-plane/store/memory.js';
import type { Store } from '../../src/control-plane/store/types.js';

const TIMING = { renewMs: 20, ttlMs: 100, pruneAfterMs: 100 };

function deleted(store: Store, name: string): Promise<void> {
  return new Promise((resolve) => {
    const off = store.watch((c) => {
      if (c.op === 'delete' && c.key.type === INSTANCE_TYPE && c.key.name === name) {
        off();
        resolve();
      }
    });
  });
}

/** The election's timers are unref'd (they must not keep a control plane alive): hold the loop open. */
function keepLoopAlive(t: { after(fn: () => void): void }): void {
  const timer = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(timer));
}

const instances = async (store: Store) => (await store.list({ type: INSTANCE_TYPE })).items.map((i) => i.resource.name).sort();

test('leader: the record of an instance dead past the pruning delay is deleted after the leader work saw it dead; live instances stay', { timeout: 20_000 }, async (t) => {
  keepLoopAlive(t);
  const store = createMemoryStore({ clock: systemClock });
  // An instance that was killed: its record is never renewed again.
  await store.create({ type: INSTANCE_TYPE, name: 'ghost', heartbeat: true });
  const gone = deleted(store, 'ghost');
  const [a, b] = ['a', 'b'].map((instanceId) => startLeaderElection({ store, instanceId, ...TIMING }));
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const sawDead: boolean[] = [];
  for (const l of [a, b]) l.onLeaderTick(() => void sawDead.push(l.deadInstances().has('ghost')));
  await gone;
  assert.ok(sawDead.includes(true), 'the leader work ran with ghost dead before its record went');
  assert.deepEqual(await instances(store), ['a', 'b']);
});

test('leader: while the leader work fails, dead instances keep their records (their streams are not marked yet)', { timeout: 20_000 }, async (t) => {
  keepLoopAlive(t);
  const store = createMemoryStore({ clock: systemClock });
  await store.create({ type: INSTANCE_TYPE, name: 'ghost', heartbeat: true });
  const leader = startLeaderElection({ store, instanceId: 'a', ...TIMING });
  t.after(() => leader.stop());
  const started = performance.now();
  let failing = true;
  let passedDelay!: () => void;
  const pastDelay = new Promise<void>((resolve) => (passedDelay = resolve));
  leader.onLeaderTick(() => {
    // Three rounds past the moment ghost became prunable.
    if (performance.now() - started > TIMING.ttlMs + TIMING.pruneAfterMs + 3 * TIMING.renewMs) passedDelay();
    if (failing) throw new Error('cannot mark streams now');
  });
  await pastDelay;
  assert.deepEqual(await instances(store), ['a', 'ghost']);
  const gone = deleted(store, 'ghost');
  failing = false;
  await gone;
  assert.deepEqual(await instances(store), ['a']);
});
