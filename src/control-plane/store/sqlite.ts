/**
 * The embedded SQLite store (better-sqlite3, WAL, synchronous=FULL): a write is acknowledged only
 * after its transaction's WAL frames are fsynced, so a PUT that answered 2xx survives kill -9.
 *
 * Group commit: writes are queued and run together on the next turn of the event loop, each in
 * its own SAVEPOINT inside one transaction, so a burst of N concurrent PUTs costs one fsync
 * instead of N. A write that fails its checks rolls back only its savepoint. Promises resolve and
 * watchers hear the changes (in commit order) only after the COMMIT returned.
 *
 * Reads are served from an in-memory index of the committed rows (sorted per type, documents
 * kept as JSON text), loaded at open and updated after each COMMIT: a page of 100 out of 10,000
 * is a slice with no SQL, and the documents are parsed only when read (StoredText): the API
 * serialises a page from their text. Exact because this process is the database's
 * only user (a shared database is the PostgreSQL store's job).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, InsufficientStorageError, NotFoundError, PreconditionFailedError, UnavailableError } from '../../core/errors.js';
import type { Resource } from '../../resources/types.js';
import { describeKey, emit, fullKey, keyOf, LocalLocks, NEVER_ABORTED, now, SortedIndex, stamp, StoredText, type FullKey } from './common.js';
import { checkVersion } from './memory.js';
import { migrate } from './migrations.js';
import { DiskReserve, isDiskFull, notADatabase, prepareStoreFile } from './sqlite-file.js';
import type { ListOptions, ListResult, ResourceKey, Store, StoreChange, StoredResource, Unsubscribe, WriteOptions } from './types.js';

export interface SqliteStoreOptions {
  /** Database file; created (with its directory) when missing. */
  path: string;
  clock?: Clock;
  /** Bytes kept aside in `<path>.reserve` for deletes on a full disk (default 4 MiB; 0 = none). */
  reserveBytes?: number;
  /** SQLite's max_page_count: the database cannot grow beyond it (tests make a full disk with it). */
  maxPageCount?: number;
}

/** Covers the checkpoint of a full write-ahead log (1,000 pages of 4 KiB) and the deletes after. */
const DEFAULT_RESERVE_BYTES = 4 * 1024 * 1024;

interface Row {
  version: number;
  doc: string;
}

interface Cached {
  mesh: string;
  name: string;
  version: number;
  json: string;
}

/** A write's result: its value for the caller, and the committed change with its JSON text. */
interface Outcome<T> {
  value: T;
  change?: StoreChange;
  json?: string;
}

interface Pending {
  kind: 'write' | 'delete';
  /** A delete that met a full disk is tried once more, after the reserve was given back. */
  retried?: boolean;
  run: () => Outcome<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly locks = new LocalLocks();
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly index = new Map<string, SortedIndex<Cached>>();
  private queue: Pending[] = [];
  private readonly savepoint: (p: Pending) => ReturnType<Pending['run']>;
  private scheduled = false;
  private closed = false;
  private readonly path: string;
  private readonly reserve: DiskReserve;
  /** The disk filled up: only deletes are accepted until the reserve can be laid aside again. */
  private full = false;
  /** The store can give the pages of deleted resources back (created with auto_vacuum=INCREMENTAL). */
  private readonly vacuums: boolean;

  constructor(opts: SqliteStoreOptions) {
    mkdirSync(dirname(opts.path), { recursive: true });
    prepareStoreFile(opts.path);
    this.clock = opts.clock ?? systemClock;
    this.db = new Database(opts.path);
    try {
      // One process owns the file (the read index below relies on it): hold SQLite's lock for
      // the connection's lifetime. Set before WAL so the WAL index lives in memory, not in -shm.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('busy_timeout = 1000');
      this.db.pragma('journal_mode = WAL');
      // FULL: fsync the WAL on every commit, so an acknowledged write is on disk (NORMAL is not).
      this.db.pragma('synchronous = FULL');
      this.db.exec('BEGIN EXCLUSIVE; COMMIT');
      migrate(this.db, opts.path);
      if (opts.maxPageCount !== undefined) this.db.pragma(`max_page_count = ${Math.floor(opts.maxPageCount)}`);
      this.vacuums = this.db.pragma('auto_vacuum', { simple: true }) === 2;
      this.savepoint = this.db.transaction((p: Pending) => p.run());
      for (const r of this.db.prepare('SELECT type, mesh, name, version, doc FROM resources').iterate() as Iterable<Cached & Row & { type: string }>) {
        this.indexOf(r.type).put({ mesh: r.mesh, name: r.name, version: r.version, json: r.doc });
      }
    } catch (err) {
      this.db.close();
      throw notADatabase(inUse(err, opts.path), opts.path);
    }
    this.path = opts.path;
    this.reserve = new DiskReserve(`${opts.path}.reserve`, opts.reserveBytes ?? DEFAULT_RESERVE_BYTES);
    // Best effort: on a disk that is already full the store opens without its reserve.
    this.reserve.ensure();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private row(k: FullKey): Row | undefined {
    return this.stmt('SELECT version, doc FROM resources WHERE type = ? AND mesh = ? AND name = ?').get(k.type, k.mesh, k.name) as Row | undefined;
  }

  private check(): void {
    if (this.closed) throw new UnavailableError('the store is closed');
  }

  private indexOf(type: string): SortedIndex<Cached> {
    let idx = this.index.get(type);
    if (!idx) this.index.set(type, (idx = new SortedIndex<Cached>()));
    return idx;
  }

  async get(key: ResourceKey): Promise<StoredResource> {
    this.check();
    const k = fullKey(key);
    const e = this.index.get(k.type)?.get(k.mesh, k.name);
    if (!e) throw new NotFoundError(`${describeKey(key)} not found`);
    return new StoredText(e.version, e.json);
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.check();
    const page = this.index.get(opts.type)?.page(opts) ?? { total: 0, items: [] };
    return { total: page.total, items: page.items.map((e) => new StoredText(e.version, e.json)) };
  }

  create(resource: Resource): Promise<StoredResource> {
    return this.enqueue('write', () => {
      const key = keyOf(resource);
      if (this.row(key)) throw new ConflictError(`${describeKey(key)} already exists`);
      return this.insert(key, resource);
    });
  }

  update(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource> {
    return this.enqueue('write', () => {
      const key = keyOf(resource);
      const r = this.row(key);
      if (!r) throw new NotFoundError(`${describeKey(key)} not found`);
      return this.replace(key, r, resource, opts);
    });
  }

  upsert(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource & { created: boolean }> {
    return this.enqueue<StoredResource & { created: boolean }>('write', () => {
      const key = keyOf(resource);
      const r = this.row(key);
      if (!r) {
        if (opts.expectedVersion !== undefined) throw new PreconditionFailedError(`${describeKey(key)} does not exist (expected version ${opts.expectedVersion})`);
        const w = this.insert(key, resource);
        return { ...w, value: { ...w.value, created: true } };
      }
      const w = this.replace(key, r, resource, opts);
      return { ...w, value: { ...w.value, created: false } };
    });
  }

  delete(key: ResourceKey, opts: WriteOptions = {}): Promise<void> {
    return this.enqueue('delete', () => {
      const k = fullKey(key);
      const r = this.row(k);
      if (!r) throw new NotFoundError(`${describeKey(key)} not found`);
      checkVersion(k, r.version, opts);
      this.stmt('DELETE FROM resources WHERE type = ? AND mesh = ? AND name = ?').run(k.type, k.mesh, k.name);
      return { value: undefined, change: { op: 'delete', key: k, version: r.version } };
    });
  }

  watch(listener: (change: StoreChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  withLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.locks.run(name, () => fn(NEVER_ABORTED));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already queued were accepted: commit them before closing.
    this.flush();
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  private insert(key: FullKey, resource: Resource): Outcome<StoredResource> {
    const t = now(this.clock);
    const stored = stamp(resource, t, t);
    const json = JSON.stringify(stored);
    this.stmt('INSERT INTO resources (type, mesh, name, version, doc) VALUES (?, ?, ?, 1, ?)').run(key.type, key.mesh, key.name, json);
    return { value: { resource: stored, version: 1 }, change: { op: 'create', key, version: 1, resource: stored }, json };
  }

  private replace(key: FullKey, r: Row, resource: Resource, opts: WriteOptions): Outcome<StoredResource> {
    checkVersion(key, r.version, opts);
    const old = JSON.parse(r.doc) as Resource;
    const stored = stamp(resource, old.creationTime ?? now(this.clock), now(this.clock));
    const version = r.version + 1;
    const json = JSON.stringify(stored);
    this.stmt('UPDATE resources SET version = ?, doc = ? WHERE type = ? AND mesh = ? AND name = ?').run(version, json, key.type, key.mesh, key.name);
    return { value: { resource: stored, version }, change: { op: 'update', key, version, resource: stored }, json };
  }

  /** Mirrors a committed change into the read index. */
  private apply(c: StoreChange, json: string | undefined): void {
    const idx = this.indexOf(c.key.type);
    if (c.op === 'delete') idx.remove(c.key.mesh, c.key.name);
    else idx.put({ mesh: c.key.mesh, name: c.key.name, version: c.version, json: json! });
  }

  private enqueue<T>(kind: 'write' | 'delete', run: () => Outcome<T>): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the store is closed'));
    if (kind === 'write' && this.full && !this.recover()) return Promise.reject(this.fullError());
    return new Promise<T>((resolve, reject) => this.requeue({ kind, run, resolve: resolve as (v: unknown) => void, reject }));
  }

  private requeue(p: Pending): void {
    this.queue.push(p);
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate runs after the I/O phase: every request parsed in this turn joins the batch.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: (({ ok: true } & Outcome<unknown>) | { ok: false; err: unknown })[] = [];
    let sawFull = false;
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            // A nested transaction is a SAVEPOINT: a failing write undoes only itself.
            const r = this.savepoint(p);
            outcomes.push({ ok: true, ...r });
          } catch (err) {
            sawFull ||= isDiskFull(err);
            outcomes.push({ ok: false, err: isDiskFull(err) ? this.fullError() : err });
          }
        }
      })();
    } catch (err) {
      // The COMMIT itself failed (disk full, I/O error): nothing in the batch is durable.
      const full = sawFull || isDiskFull(err);
      if (full) this.enterFull();
      for (const p of batch) {
        if (full && p.kind === 'delete' && !p.retried) this.requeue({ ...p, retried: true });
        else p.reject(full ? this.fullError() : new UnavailableError(`the store could not commit: ${(err as Error).message}`));
      }
      return;
    }
    if (sawFull) this.enterFull();
    else if (this.full) this.recover();
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) {
        if (o.change) {
          this.apply(o.change, o.json);
          // Subscribers get their own copy; the caller keeps `value` (same document). The copy is
          // parsed from the committed JSON text: JSON.parse does not recurse, so no document
          // shape can throw here, after the COMMIT and outside any request's promise chain.
          if (this.listeners.size) emit(this.listeners, o.change.resource && o.json !== undefined ? { ...o.change, resource: JSON.parse(o.json) as Resource } : o.change);
        }
        p.resolve(o.value);
      } else p.reject(o.err);
    });
  }

  private fullError(): InsufficientStorageError {
    const room = this.vacuums ? ', or delete resources (their space goes back to the disk)' : '';
    return new InsufficientStorageError(`the disk holding ${this.path} is full: the write was not stored. Free space on that disk${room}; until then the control plane accepts only deletes`);
  }

  /** Gives the reserve back to the file system, so that the deletes that make room can be written. */
  private enterFull(): void {
    this.full = true;
    this.reserve.release();
  }

  /** Leaves full mode once the reserve can be laid aside again; true when it did. */
  private recover(): boolean {
    try {
      // Best effort on a full disk: free pages back to the file system, then an empty log.
      if (this.vacuums) this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Still full: laying the reserve aside fails too.
    }
    if (!this.reserve.ensure()) return false;
    this.full = false;
    return true;
  }
}

function inUse(err: unknown, file: string): unknown {
  if (!(err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return err;
  return new UnavailableError(`the store ${file} is in use by another control plane; one SQLite store serves one instance (stop the other one, or use another --data-dir)`);
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  return new SqliteStore(opts);
}
