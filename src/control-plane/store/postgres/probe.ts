/**
 * The database's newest change sequence number, read by a query that starts after the caller
 * asked: what a read served from this instance's copy (./cache.ts) must have applied to be
 * exact. No read can skip this round trip and still see a write another instance acknowledged a
 * moment ago: only the database knows of it (its notification may still be on the way).
 *
 * Callers of one turn of the event loop share one query, sent after that turn's requests were
 * parsed (as writes share a commit): never a query already sent, whose snapshot may predate a
 * caller's request.
 */
import type pg from 'pg';

const SQL = 'SELECT coalesce(max(seq), 0) AS seq FROM zonectl_changes';

export class SequenceProbe {
  private next?: Promise<number>;

  constructor(private readonly query: (sql: string) => Promise<pg.QueryResult<{ seq: string }>>) {}

  /** The newest committed change sequence number, as of a moment after this call. */
  newest(): Promise<number> {
    this.next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.next = undefined;
      return this.query(SQL).then((r) => Number(r.rows[0].seq));
    });
    return this.next;
  }
}
