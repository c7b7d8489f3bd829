/**
 * This instance's copy of the stored resources: every key (type, mesh, name) with its version,
 * kept in list order, and the documents as JSON text while they fit in a byte budget. It is exact
 * as of one change sequence number, `exactAt`: it was loaded from a snapshot that had seen every
 * change up to that number and no later one, and since then the change feed applied the changes
 * after it, in order.
 *
 * How the store uses it (PostgresStore.get/list):
 * - Pages and single reads are answered from here only when the copy has applied every change up
 *   to the database's newest one, as read by a query that started after the request arrived
 *   (./probe.ts). So the answer is what the database held at some moment during the request: a
 *   write acknowledged by any instance before the request is in it (read-your-writes across
 *   instances), and it never differs from what the database would answer.
 * - Otherwise the database answers, and the copy's keys may still give the page's first key, when
 *   the statement's own snapshot shows the copy is exact (PostgresStore.list).
 * - Over the budget the documents are dropped (keys only) until the next load, so memory stays
 *   bounded whatever the database holds.
 */
import type pg from 'pg';
import type { Resource } from '../../../resources/types.js';
import { SortedIndex, type IndexEntry } from '../common.js';
import type { ListOptions, StoreChange } from '../types.js';

export interface CachedEntry extends IndexEntry {
  version: number;
  /** The document's JSON text; undefined when documents are not held. */
  text?: string;
}

/** Default budget for the documents' text: about 250,000 ZoneEgresses. */
export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** What one entry costs besides its text (the entry, its key strings, its place in the indexes). */
const ENTRY_BYTES = 160;

export class ResourceCache {
  private types = new Map<string, SortedIndex<CachedEntry>>();
  /**
   * Types holding a key with a character from U+D800 up: JavaScript compares UTF-16 code units,
   * PostgreSQL's "C" collation UTF-8 bytes, and the two orders differ only there. Such a type is
   * read from the database alone (until the next load). Resource names are RFC 1123 labels, so
   * this is for robustness only.
   */
  private unordered = new Set<string>();
  /** Highest change sequence number reflected; undefined while not loaded. */
  private seq?: number;
  /** Changes delivered while a load is under way, applied after it (those it did not see). */
  private buffered?: { seq: number; change: StoreChange; text?: string }[];
  private generation = 0;
  /** Documents are held (false: over the budget, or not loaded). */
  private docs = false;
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onProblem?: (what: string, err: unknown) => void,
  ) {}

  /** The sequence number the copy is exact at, or undefined when it is not usable now. */
  get exactAt(): number | undefined {
    return this.buffered ? undefined : this.seq;
  }

  /** True when documents can be served from here (subject to the freshness check). */
  get holdsDocuments(): boolean {
    return this.docs && this.exactAt !== undefined;
  }

  /** Bytes the held documents take (their text and per-entry overhead), for tests and metrics. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Applies one committed change, delivered by the feed in sequence order. `text` is the
   * document's JSON text when the caller has it (else it is made from `change.resource`).
   */
  apply(seq: number, change: StoreChange, text?: string): void {
    if (this.buffered) {
      this.buffered.push({ seq, change, text });
      return;
    }
    if (this.seq === undefined || seq <= this.seq) return;
    this.seq = seq;
    const { type, mesh, name } = change.key;
    const idx = this.types.get(type);
    const old = idx?.get(mesh, name);
    if (old?.text !== undefined) this.bytes -= cost(old.text);
    if (change.op === 'delete') {
      idx?.remove(mesh, name);
      return;
    }
    const doc = this.docs ? (text ?? JSON.stringify(change.resource as Resource)) : undefined;
    this.put(this.types, this.unordered, type, { mesh, name, version: change.version, text: doc });
    if (doc !== undefined) {
      this.bytes += cost(doc);
      if (this.bytes > this.maxBytes) this.dropDocuments();
    }
  }

  /**
   * (Re)loads from one snapshot: the keys, the documents when they fit in the budget, and the
   * newest change sequence number, in one statement. Failures leave the copy unusable (the
   * database alone answers).
   */
  async load(pool: pg.Pool): Promise<void> {
    const generation = ++this.generation;
    this.seq = undefined;
    this.buffered = [];
    try {
      // Decided before reading, so a database bigger than the budget is never read into memory whole.
      const size = await pool.query<{ bytes: string; n: string }>('SELECT coalesce(sum(octet_length(doc)), 0) AS bytes, count(*) AS n FROM zonectl_resources');
      const fits = this.maxBytes > 0 && Number(size.rows[0].bytes) + Number(size.rows[0].n) * ENTRY_BYTES <= this.maxBytes;
      const { rows } = await pool.query<{ seq: string | null; type: string | null; mesh: string; name: string; version: number; doc?: string }>(
        `SELECT s.seq, r.type, r.mesh, r.name, r.version${fits ? ', r.doc' : ''} FROM (SELECT coalesce(max(seq), 0) AS seq FROM zonectl_changes) s LEFT JOIN zonectl_resources r ON true`,
      );
      if (generation !== this.generation) return;
      const types = new Map<string, SortedIndex<CachedEntry>>();
      const unordered = new Set<string>();
      let bytes = 0;
      for (const r of rows) {
        if (r.type === null) continue;
        this.put(types, unordered, r.type, { mesh: r.mesh, name: r.name, version: r.version, text: r.doc });
        if (r.doc !== undefined) bytes += cost(r.doc);
      }
      const buffered = this.buffered;
      this.types = types;
      this.unordered = unordered;
      this.bytes = bytes;
      this.docs = fits;
      if (!fits && this.maxBytes > 0) this.onProblem?.(`the documents (${size.rows[0].n} resources) do not fit in the read cache of ${this.maxBytes} bytes; pages are read from PostgreSQL`, undefined);
      this.seq = Number(rows[0].seq);
      this.buffered = undefined;
      for (const b of buffered) this.apply(b.seq, b.change, b.text);
    } catch (err) {
      if (generation === this.generation) this.buffered = undefined;
      throw err;
    }
  }

  /**
   * One page (all matching when size is undefined) with the matching total, or undefined when
   * the copy cannot answer it: documents not held, the type's order differs, or the copy is
   * behind `fresh` (the database's newest change sequence number).
   */
  page(opts: ListOptions, fresh: number): { total: number; items: CachedEntry[] } | undefined {
    if (!this.servable(opts.type, fresh)) return undefined;
    const idx = this.types.get(opts.type);
    if (!idx) return { total: 0, items: [] };
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    const size = opts.size === undefined ? undefined : Math.max(0, Math.floor(opts.size));
    return idx.page({ mesh: opts.mesh, nameContains: opts.nameContains, offset, size });
  }

  /** The entry (null when missing), or undefined when the copy cannot answer (see page). */
  get(key: { type: string; mesh: string; name: string }, fresh: number): CachedEntry | null | undefined {
    if (!this.servable(key.type, fresh)) return undefined;
    return this.types.get(key.type)?.get(key.mesh, key.name) ?? null;
  }

  private servable(type: string, fresh: number): boolean {
    const seq = this.exactAt;
    return this.docs && seq !== undefined && seq >= fresh && !this.unordered.has(type);
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

  private dropDocuments(): void {
    for (const idx of this.types.values()) for (const e of idx.sorted) e.text = undefined;
    this.docs = false;
    this.bytes = 0;
    this.onProblem?.(`the documents outgrew the read cache of ${this.maxBytes} bytes; pages are read from PostgreSQL until the next reload`, undefined);
  }

  private put(types: Map<string, SortedIndex<CachedEntry>>, unordered: Set<string>, type: string, e: CachedEntry): void {
    let idx = types.get(type);
    if (!idx) types.set(type, (idx = new SortedIndex<CachedEntry>()));
    idx.put(e);
    if (/[\uD800-\uFFFF]/.test(e.mesh + e.name)) unordered.add(type);
  }
}

/** Bytes a document's text takes: V8 keeps ASCII/Latin-1 text at one byte a character. */
function cost(text: string): number {
  return text.length + ENTRY_BYTES;
}
