/**
 * The freshness probe of the PostgreSQL read cache (src/control-plane/store/postgres/probe.ts):
 * callers of one event-loop turn share one query, and a caller never joins a query that was
 * already sent (its snapshot could predate the caller's request).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { SequenceProbe } from '../../../src/control-plane/store/postgres/probe.js';

function fakeDatabase() {
  const sent: { answer: (seq: number) => void }[] = [];
  let newest = 0;
  const query = (): Promise<pg.QueryResult<{ seq: string }>> =>
    new Promise((resolve) => {
      // The snapshot is taken when the query is sent: it sees what was committed by then.
      const seen = newest;
      sent.push({ answer: () => resolve({ rows: [{ seq: String(seen) }] } as pg.QueryResult<{ seq: string }>) });
    });
  return { sent, query, commit: () => ++newest };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('postgres probe: one query for the callers of a turn; a later caller gets a query sent after it asked', async () => {
  const db = fakeDatabase();
  const probe = new SequenceProbe(db.query);
  const first = [probe.newest(), probe.newest(), probe.newest()];
  await turn();
  assert.equal(db.sent.length, 1, 'callers of one turn share a query');
  // A write is acknowledged after that query was sent; a read asking now must see it.
  db.commit();
  const later = probe.newest();
  await turn();
  assert.equal(db.sent.length, 2, 'the later caller does not join the query in flight');
  for (const q of db.sent) q.answer(0);
  assert.deepEqual(await Promise.all(first), [0, 0, 0]);
  assert.equal(await later, 1);
});
