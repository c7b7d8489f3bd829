/**
 * This instance's copy of every stored key (type, mesh, name; no documents), kept in list order
 * and exact as of one change sequence number, so that the key a page starts at is found here in
 * O(1) instead of by walking the primary key up to the offset in PostgreSQL (the remaining O(n)
 * part of a page: ~1 ms at offset 9,900 of 10,000 on an idle machine, several under load).
 *
 * The copy is exact as of `seq`: it was loaded from a snapshot that had seen every change up to
 * `seq` and no later one, and since then the change feed applied the changes after it, in order.
 * The page query uses it only when the database's newest change is `seq` too (checked in the
 * same statement, see PostgresStore.list); otherwise, and until it is loaded, pages are found
 * by the database alone. So it never makes a page differ from what the database holds.
 */
import type pg from 'pg';
import { SortedIndex, type IndexEntry } from '../common.js';
import type { StoreChange } from '../types.js';

export class KeyIndex {
  private types = new Map<string, SortedIndex<IndexEntry>>();
  /**
   * Types holding a key with a character from U+D800 up: JavaScript compares UTF-16 code units,
   * PostgreSQL's "C" collation UTF-8 bytes, and the two orders differ only there. Such a type's
   * pages are found by the database alone (until the next load). Resource names are RFC 1123
   * labels, so this is for robustness only.
   */
  private unordered = new Set<string>();
  /** Highest change sequence number reflected; undefined while not loaded. */
  private seq?: number;
  /** Changes delivered while a load is under way, applied after it (those it did not see). */
  private buffered?: { seq: number; change: StoreChange }[];
  private generation = 0;

  /** The sequence number the copy is exact at, or undefined when it is not usable now. */
  get exactAt(): number | undefined {
    return this.buffered ? undefined : this.seq;
  }

  /** Applies one committed change, delivered by the feed in sequence order. */
  apply(seq: number, change: StoreChange): void {
    if (this.buffered) {
      this.buffered.push({ seq, change });
      return;
    }
    if (this.seq === undefined || seq <= this.seq) return;
    this.seq = seq;
    const { type, mesh, name } = change.key;
    if (change.op === 'delete') this.types.get(type)?.remove(mesh, name);
    else this.put(this.types, this.unordered, type, mesh, name);
  }

  /**
   * (Re)loads from one snapshot: the keys and the newest change sequence number in one
   * statement. Failures leave the copy unusable (pages then use the database alone).
   */
  async load(pool: pg.Pool): Promise<void> {
    const generation = ++this.generation;
    this.seq = undefined;
    this.buffered = [];
    try {
      const { rows } = await pool.query<{ seq: string | null; type: string | null; mesh: string; name: string }>(
        'SELECT s.seq, r.type, r.mesh, r.name FROM (SELECT coalesce(max(seq), 0) AS seq FROM zonectl_changes) s LEFT JOIN zonectl_resources r ON true',
      );
      if (generation !== this.generation) return;
      const types = new Map<string, SortedIndex<IndexEntry>>();
      const unordered = new Set<string>();
      for (const r of rows) if (r.type !== null) this.put(types, unordered, r.type, r.mesh, r.name);
      const buffered = this.buffered;
      this.types = types;
      this.unordered = unordered;
      this.seq = Number(rows[0].seq);
      this.buffered = undefined;
      for (const b of buffered) this.apply(b.seq, b.change);
    } catch (err) {
      if (generation === this.generation) this.buffered = undefined;
      throw err;
    }
  }

  /**
   * The first key of the page at `offset` among the keys matching the filter, with the
   * sequence number it is exact at; undefined when the copy is not usable or the page is empty.
   */
  startOf(opts: { type: string; mesh?: string; nameContains?: string; offset: number }): { mesh: string; name: string; seq: number } | undefined {
    const seq = this.exactAt;
    if (seq === undefined) return undefined;
    const idx = this.types.get(opts.type);
    if (!idx || this.unordered.has(opts.type)) return undefined;
    const key = opts.mesh === undefined && !opts.nameContains ? idx.sorted[opts.offset] : idx.page({ ...opts, size: 1 }).items[0];
    return key && { mesh: key.mesh, name: key.name, seq };
  }

  private put(types: Map<string, SortedIndex<IndexEntry>>, unordered: Set<string>, type: string, mesh: string, name: string): void {
    let idx = types.get(type);
    if (!idx) types.set(type, (idx = new SortedIndex<IndexEntry>()));
    idx.put({ mesh, name });
    if (/[\uD800-\uFFFF]/.test(mesh + name)) unordered.add(type);
  }
}
