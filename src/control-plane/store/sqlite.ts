/**
 * The embedded SQLite store (better-sqlite3, WAL, synchronous=FULL): a write is acknowledged only
 * after its transaction's WAL frames are fsynced, so a PUT that answered 2xx survives kill -9.
 *
 * Group commit: writes are queued and run together on the next turn of the event loop, each in
 * its own SAVEPOINT inside one transaction, so a burst of N concurrent PUTs costs one fsync
 * instead of N. A write that fails its checks rolls back only its savepoint. Promises resolve and
 * watchers hear the changes (in commit order) only after the COMMIT returned.
 */
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PreconditionFailedError, UnavailableError } from '../../core/errors.js';
import type { Resource } from '../../resources/types.js';
import { describeKey, emit, fullKey, keyOf, LocalLocks, now, stamp, type FullKey } from './common.js';
import { checkVersion } from './memory.js';
import { migrate } from './migrations.js';
import type { ListOptions, ListResult, ResourceKey, Store, StoreChange, StoredResource, Unsubscribe, WriteOptions } from './types.js';

export interface SqliteStoreOptions {
  /** Database file; created (with its directory) when missing. */
  path: string;
  clock?: Clock;
}

interface Row {
  version: number;
  doc: string;
}

interface Pending {
  run: () => { value: unknown; change?: StoreChange };
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly locks = new LocalLocks();
  private readonly stmts = new Map<string, Database.Statement>();
  /**
   * Row counts per `type` and per `type\0mesh`, kept in step with commits: an unfiltered list
   * then needs no count(*) scan (half the cost of a page at 10,000 rows). Exact because this
   * process is the database's only writer.
   */
  private readonly counts = new Map<string, number>();
  private queue: Pending[] = [];
  private readonly savepoint: (p: Pending) => ReturnType<Pending['run']>;
  private scheduled = false;
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    mkdirSync(dirname(opts.path), { recursive: true });
    // The store holds secrets (signing keys): create it 0600; SQLite gives -wal/-shm the same mode.
    closeSync(openSync(opts.path, 'a', 0o600));
    this.clock = opts.clock ?? systemClock;
    this.db = new Database(opts.path);
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: fsync the WAL on every commit, so an acknowledged write is on disk (NORMAL is not).
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db, opts.path);
      this.savepoint = this.db.transaction((p: Pending) => p.run());
      for (const r of this.db.prepare('SELECT type, mesh, count(*) AS n FROM resources GROUP BY type, mesh').all() as { type: string; mesh: string; n: number }[]) {
        this.counts.set(r.type, (this.counts.get(r.type) ?? 0) + r.n);
        this.counts.set(`${r.type}\u0000${r.mesh}`, r.n);
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
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

  async get(key: ResourceKey): Promise<StoredResource> {
    this.check();
    const r = this.row(fullKey(key));
    if (!r) throw new NotFoundError(`${describeKey(key)} not found`);
    return { resource: JSON.parse(r.doc) as Resource, version: r.version };
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.check();
    let where = 'type = ?';
    const args: unknown[] = [opts.type];
    if (opts.mesh !== undefined) {
      where += ' AND mesh = ?';
      args.push(opts.mesh);
    }
    if (opts.nameContains) {
      // instr() is a plain, case-sensitive substring test: no LIKE wildcards to escape.
      where += ' AND instr(name, ?) > 0';
      args.push(opts.nameContains);
    }
    const total = opts.nameContains
      ? (this.stmt(`SELECT count(*) AS n FROM resources WHERE ${where}`).get(...args) as { n: number }).n
      : (this.counts.get(opts.mesh === undefined ? opts.type : `${opts.type}\u0000${opts.mesh}`) ?? 0);
    // Page the keys on the covering index first, then fetch only those documents: OFFSET then
    // skips index entries instead of reading (and discarding) every skipped document.
    const rows = this.stmt(
      `SELECT r.version, r.doc FROM (SELECT mesh, name FROM resources WHERE ${where} ORDER BY name, mesh LIMIT ? OFFSET ?) AS k ` +
        `JOIN resources AS r ON r.type = ? AND r.mesh = k.mesh AND r.name = k.name ORDER BY k.name, k.mesh`,
    ).all(...args, opts.size ?? -1, opts.offset ?? 0, opts.type) as Row[];
    return { total, items: rows.map((r) => ({ resource: JSON.parse(r.doc) as Resource, version: r.version })) };
  }

  create(resource: Resource): Promise<StoredResource> {
    return this.enqueue(() => {
      const key = keyOf(resource);
      if (this.row(key)) throw new ConflictError(`${describeKey(key)} already exists`);
      return this.insert(key, resource);
    });
  }

  update(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource> {
    return this.enqueue(() => {
      const key = keyOf(resource);
      const r = this.row(key);
      if (!r) throw new NotFoundError(`${describeKey(key)} not found`);
      return this.replace(key, r, resource, opts);
    });
  }

  upsert(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource & { created: boolean }> {
    return this.enqueue<StoredResource & { created: boolean }>(() => {
      const key = keyOf(resource);
      const r = this.row(key);
      if (!r) {
        if (opts.expectedVersion !== undefined) throw new PreconditionFailedError(`${describeKey(key)} does not exist (expected version ${opts.expectedVersion})`);
        const w = this.insert(key, resource);
        return { value: { ...w.value, created: true }, change: w.change };
      }
      const w = this.replace(key, r, resource, opts);
      return { value: { ...w.value, created: false }, change: w.change };
    });
  }

  delete(key: ResourceKey, opts: WriteOptions = {}): Promise<void> {
    return this.enqueue(() => {
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

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(name, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already queued were accepted: commit them before closing.
    this.flush();
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  private insert(key: FullKey, resource: Resource): { value: StoredResource; change: StoreChange } {
    const t = now(this.clock);
    const stored = stamp(resource, t, t);
    this.stmt('INSERT INTO resources (type, mesh, name, version, doc) VALUES (?, ?, ?, 1, ?)').run(key.type, key.mesh, key.name, JSON.stringify(stored));
    return { value: { resource: stored, version: 1 }, change: { op: 'create', key, version: 1, resource: stored } };
  }

  private replace(key: FullKey, r: Row, resource: Resource, opts: WriteOptions): { value: StoredResource; change: StoreChange } {
    checkVersion(key, r.version, opts);
    const old = JSON.parse(r.doc) as Resource;
    const stored = stamp(resource, old.creationTime ?? now(this.clock), now(this.clock));
    const version = r.version + 1;
    this.stmt('UPDATE resources SET version = ?, doc = ? WHERE type = ? AND mesh = ? AND name = ?').run(version, JSON.stringify(stored), key.type, key.mesh, key.name);
    return { value: { resource: stored, version }, change: { op: 'update', key, version, resource: stored } };
  }

  private count(c: StoreChange): void {
    const d = c.op === 'create' ? 1 : c.op === 'delete' ? -1 : 0;
    if (d === 0) return;
    for (const k of [c.key.type, `${c.key.type}\u0000${c.key.mesh}`]) this.counts.set(k, (this.counts.get(k) ?? 0) + d);
  }

  private enqueue<T>(run: () => { value: T; change?: StoreChange }): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the I/O phase: every request parsed in this turn joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown; change?: StoreChange } | { ok: false; err: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            // A nested transaction is a SAVEPOINT: a failing write undoes only itself.
            const r = this.savepoint(p);
            outcomes.push({ ok: true, ...r });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      })();
    } catch (err) {
      // The COMMIT itself failed (disk full, I/O error): nothing in the batch is durable.
      for (const p of batch) p.reject(new UnavailableError(`the store could not commit: ${(err as Error).message}`));
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) {
        if (o.change) {
          this.count(o.change);
          // Subscribers get their own copy; the caller keeps `value` (same document).
          if (this.listeners.size) emit(this.listeners, o.change.resource ? { ...o.change, resource: structuredClone(o.change.resource) } : o.change);
        }
        p.resolve(o.value);
      } else p.reject(o.err);
    });
  }
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  return new SqliteStore(opts);
}
