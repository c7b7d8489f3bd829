/**
 * The PostgreSQL store: several control-plane instances share one database. Same contract and
 * conformance suite as the memory and SQLite stores (src/control-plane/store/types.ts).
 *
 * - Reads are answered from this instance's copy of the resources (./cache.ts, kept by the change
 *   feed) when a query started after the request shows that the copy has applied every committed
 *   change (./probe.ts), else by the database (a page is one indexed query). Either way every
 *   instance reads what any instance committed before the request, including its own writes.
 * - Writes are batched (group commit, like the SQLite store): those queued in one turn of the
 *   event loop go to `zonectl_apply` as one statement, one commit; each write's checks (exists,
 *   expected version) run inside it, so a failing write does not fail its neighbours. A write
 *   resolves after its commit and after the watchers heard it.
 * - Watchers hear every change of every instance in commit order (./feed.ts).
 * - withLock is a PostgreSQL advisory lock held on its own connection for the critical section.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { systemClock, type Clock } from '../../../core/clock.js';
import { ConflictError, NotFoundError, PreconditionFailedError, UnavailableError } from '../../../core/errors.js';
import type { Resource } from '../../../resources/types.js';
import { describeKey, emit, fullKey, keyOf, LocalLocks, now, StoredText, type FullKey } from '../common.js';
import type { ChangeOp, ListOptions, ListResult, ResourceKey, Store, StoreChange, StoredResource, Unsubscribe, WriteOptions } from '../types.js';
import { poolConfig, redactUrl, translate, type PostgresConnectOptions } from './connect.js';
import { ChangeFeed, type SequencedChange } from './feed.js';
import { DEFAULT_CACHE_BYTES, ResourceCache } from './cache.js';
import { SequenceProbe } from './probe.js';
import { LOCK_NS, migrate } from './schema.js';

export interface PostgresStoreOptions extends PostgresConnectOptions {
  clock?: Clock;
  /** Recorded with each change this instance writes (default: random). */
  instanceId?: string;
  /** Problems the store recovers from by itself (listener lost and reconnected, ...). */
  onProblem?: (what: string, err: unknown) => void;
  /** How long the change log keeps entries (default 1 h): the longest listener outage replayed exactly. */
  changeRetentionMs?: number;
}

type WriteKind = 'create' | 'update' | 'upsert' | 'delete';

interface PendingWrite {
  kind: WriteKind;
  key: FullKey;
  /** The resource without server-set fields; undefined for delete. */
  base?: Resource;
  expected?: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface ApplyRow {
  status: 'ok' | 'conflict' | 'not-found' | 'stale' | 'stale-missing';
  version: number | null;
  creation_time: string | null;
  seq: string | null;
}

/** At most this many writes per statement; more wait for the next batch. */
const MAX_BATCH = 500;
const PRUNE_EVERY_MS = 60_000;
const ANALYZE_AFTER_WRITES = 1000;

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly where: string;
  private readonly instanceId: string;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly locks = new LocalLocks();
  private readonly feed: ChangeFeed;
  private readonly cache: ResourceCache;
  private readonly probe: SequenceProbe;
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private inFlight?: Promise<void>;
  private pruneTimer?: NodeJS.Timeout;
  private analyzeTimer?: NodeJS.Timeout;
  private writesSinceAnalyze = 0;
  private closed = false;
  private reads = { cached: 0, database: 0 };

  private constructor(
    private readonly opts: PostgresStoreOptions,
    config: pg.PoolConfig,
  ) {
    this.pool = new pg.Pool(config);
    // An idle pooled connection that breaks (server restart) is dropped by the pool; without a
    // handler its 'error' would crash the process.
    this.pool.on('error', (err) => opts.onProblem?.('a pooled PostgreSQL connection failed', err));
    this.clock = opts.clock ?? systemClock;
    this.where = redactUrl(opts.url);
    this.instanceId = opts.instanceId ?? randomUUID();
    this.cache = new ResourceCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES, opts.onProblem);
    this.probe = new SequenceProbe((sql) => this.query(sql, []));
    this.feed = new ChangeFeed({
      pool: this.pool,
      connectListener: async () => {
        const c = new pg.Client(config);
        c.on('error', () => undefined);
        await c.connect();
        return c;
      },
      emit: (c, seq, text) => {
        this.cache.apply(seq, c, text);
        emit(this.listeners, c);
      },
      onResync: () => void this.loadCache(),
      onProblem: opts.onProblem,
    });
  }

  /** Connects, migrates (under the migration lock) and starts the change feed. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(opts, poolConfig(opts));
    try {
      const client = await store.pool.connect();
      try {
        await migrate(client, store.where);
      } finally {
        client.release();
      }
      await store.feed.start();
      await store.loadCache();
    } catch (err) {
      await store.feed.close();
      await store.pool.end().catch(() => undefined);
      throw translate(err, opts.url);
    }
    store.pruneTimer = setInterval(() => void store.prune(), PRUNE_EVERY_MS);
    store.pruneTimer.unref();
    return store;
  }

  /** Loads the read cache (after the feed started, so every later change reaches it). */
  private loadCache(): Promise<void> {
    return this.cache.load(this.pool).catch((err: unknown) => this.opts.onProblem?.('could not load the read cache (reads go to the database alone)', err));
  }

  /** The database's newest change sequence number when the cache holds documents, else undefined. */
  private async freshness(): Promise<number | undefined> {
    return this.cache.holdsDocuments ? this.probe.newest() : undefined;
  }

  /** Reads answered from the cache and by the database, and the cache's size (tests, diagnostics). */
  get readStats(): { cached: number; database: number; cacheBytes: number } {
    return { ...this.reads, cacheBytes: this.cache.heldBytes };
  }

  private check(): void {
    if (this.closed) throw new UnavailableError('the store is closed');
  }

  /**
   * A read as a named prepared statement: parsed once per connection, and after five runs
   * PostgreSQL keeps a generic plan, so a page costs no planning (0.25-0.5 ms, more than its
   * execution). The texts vary only with the filter's shape, so there are a few of them.
   */
  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    let name = statementNames.get(sql);
    if (!name) statementNames.set(sql, (name = `zonectl_read_${statementNames.size + 1}`));
    try {
      return await this.pool.query<R>({ name, text: sql, values: params });
    } catch (err) {
      throw translate(err, this.opts.url);
    }
  }

  async get(key: ResourceKey): Promise<StoredResource> {
    this.check();
    const k = fullKey(key);
    const fresh = await this.freshness();
    const hit = fresh === undefined ? undefined : this.cache.get(k, fresh);
    if (hit !== undefined) this.reads.cached++;
    else this.reads.database++;
    if (hit === null) throw new NotFoundError(`${describeKey(key)} not found`);
    if (hit) return new StoredText(hit.version, hit.text!);
    const { rows } = await this.query<{ version: number; doc: string }>('SELECT version, doc FROM zonectl_resources WHERE type = $1 AND mesh = $2 AND name = $3', [k.type, k.mesh, k.name]);
    if (!rows.length) throw new NotFoundError(`${describeKey(key)} not found`);
    return new StoredText(rows[0].version, rows[0].doc);
  }

  /**
   * From the cache when it is fresh (see the file's comment); else a page is one statement, so
   * `total` and the items come from one snapshot:
   * - total: the counters zonectl_apply keeps per (type, mesh) (schema.ts, version 2); with a
   *   name filter, a count of the matching rows.
   * - items: `size` documents read from the key at `offset` on. That key comes from this
   *   instance's copy of the keys when it is exact for the statement's snapshot (./cache.ts), else
   *   from an index-only scan of the primary key (narrow entries, no documents). A plain OFFSET
   *   reads and drops every document before the page, and past the middle of a type the planner
   *   prefers sorting the whole type to walking the index (23 ms at offset 9,900 of 10,000).
   */
  async list(opts: ListOptions): Promise<ListResult> {
    this.check();
    const fresh = await this.freshness();
    const hit = fresh === undefined ? undefined : this.cache.page(opts, fresh);
    if (hit) {
      this.reads.cached++;
      return { total: hit.total, items: hit.items.map((e) => new StoredText(e.version, e.text!)) };
    }
    this.reads.database++;
    const where = ['type = $1'];
    const params: unknown[] = [opts.type];
    if (opts.mesh !== undefined) where.push(`mesh = $${params.push(opts.mesh)}`);
    const counted = where.join(' AND ');
    // strpos, not LIKE: the filter is a literal substring (no % or _ wildcards), case-sensitive.
    if (opts.nameContains) where.push(`strpos(name, $${params.push(opts.nameContains)}) > 0`);
    const filter = where.join(' AND ');
    if (opts.offset === undefined && opts.size === undefined) {
      const { rows } = await this.query<{ version: number; doc: string }>(`SELECT version, doc FROM zonectl_resources WHERE ${filter} ORDER BY name, mesh`, params);
      return { total: rows.length, items: rows.map(stored) };
    }
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    let from = '';
    if (offset > 0) {
      const start = this.cache.startOf({ type: opts.type, mesh: opts.mesh, nameContains: opts.nameContains, offset });
      const [name, mesh, seq] = [params.push(start?.name ?? null), params.push(start?.mesh ?? null), params.push(start?.seq ?? null)];
      const scan = `SELECT name, mesh FROM zonectl_resources WHERE ${filter} ORDER BY name, mesh OFFSET $${params.push(offset)} LIMIT 1`;
      // The key index's start key when the newest change in this statement's snapshot is the one
      // the index is exact at; otherwise the index-only scan (the UNION ALL's second branch runs
      // only when the first yields no row).
      from = ` AND (name, mesh) >= (SELECT * FROM (SELECT $${name}::text COLLATE "C", $${mesh}::text COLLATE "C" WHERE $${name}::text IS NOT NULL AND (SELECT coalesce(max(seq), 0) FROM zonectl_changes) = $${seq}::bigint UNION ALL (${scan})) AS k LIMIT 1)`;
    }
    // LIMIT NULL is no limit.
    const limit = ` LIMIT $${params.push(opts.size === undefined ? null : Math.max(0, Math.floor(opts.size)))}::bigint`;
    const total = opts.nameContains ? `SELECT count(*) FROM zonectl_resources WHERE ${filter}` : `SELECT coalesce(sum(n), 0) FROM zonectl_counts WHERE ${counted}`;
    // The LEFT JOIN keeps one row (version NULL) when the page is empty, to carry the total.
    const { rows } = await this.query<{ total: string; version: number | null; doc: string | null }>(
      `SELECT t.total, p.version, p.doc FROM (${total}) AS t(total) LEFT JOIN LATERAL (SELECT version, doc FROM zonectl_resources WHERE ${filter}${from} ORDER BY name, mesh${limit}) AS p ON true`,
      params,
    );
    return { total: Number(rows[0].total), items: rows.filter((r) => r.version !== null).map((r) => stored(r as { version: number; doc: string })) };
  }

  create(resource: Resource): Promise<StoredResource> {
    return this.enqueue('create', keyOf(resource), resource);
  }

  update(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource> {
    return this.enqueue('update', keyOf(resource), resource, opts.expectedVersion);
  }

  upsert(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource & { created: boolean }> {
    return this.enqueue('upsert', keyOf(resource), resource, opts.expectedVersion);
  }

  async delete(key: ResourceKey, opts: WriteOptions = {}): Promise<void> {
    await this.enqueue('delete', fullKey(key), undefined, opts.expectedVersion);
  }

  watch(listener: (change: StoreChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The in-process lock first (waiters of this instance queue here, not on connections), then
   * the advisory lock on a connection held for the section: exclusive across every instance.
   * If that connection breaks (server restart, backend terminated, network cut noticed by TCP
   * keepalive), PostgreSQL releases the lock: the section's signal aborts at once, and withLock
   * rejects once the section returns, so its caller knows exclusivity was not kept.
   */
  withLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.locks.run(name, async () => {
      this.check();
      const lost = new AbortController();
      // A held connection that breaks emits 'error' (and 'end'): without a listener 'error' would
      // end the process. Either way the lock is gone with the connection.
      const onLost = (err?: unknown) => {
        if (lost.signal.aborted) return;
        const why = err instanceof Error ? err.message : 'the connection ended';
        lost.abort(new UnavailableError(`lost the lock "${name}": its PostgreSQL connection broke (${why}); another instance may hold it now`));
      };
      const onEnd = () => onLost();
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        client.on('error', onLost);
        client.on('end', onEnd);
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NS, name]);
      } catch (err) {
        client?.off('error', onLost);
        client?.off('end', onEnd);
        client?.release(true);
        throw translate(err, this.opts.url);
      }
      const held = client;
      const release = async (): Promise<void> => {
        const unlock = lost.signal.aborted ? Promise.reject(lost.signal.reason as Error) : held.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NS, name]);
        await unlock.then(
          () => {
            held.off('error', onLost);
            held.off('end', onEnd);
            held.release();
          },
          // The connection is dropped; onLost stays as its 'error' listener (a late socket error
          // must not end the process).
          (err: Error) => held.release(err),
        );
      };
      let result: T;
      try {
        result = await fn(lost.signal);
      } catch (err) {
        await release();
        throw err;
      }
      await release();
      if (lost.signal.aborted) throw lost.signal.reason as Error;
      return result;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    clearTimeout(this.analyzeTimer);
    // Writes already queued were accepted: commit them before closing.
    while (this.inFlight || this.queue.length) {
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
    this.listeners.clear();
    await this.feed.close();
    await this.pool.end();
  }

  private enqueue<T>(kind: WriteKind, key: FullKey, resource: Resource | undefined, expected?: number): Promise<T> {
    if (this.closed) return Promise.reject(new UnavailableError('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind, key, base: resource && withoutServerFields(resource), expected, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the I/O phase: every request parsed in this turn joins the batch.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends the next batch unless one is in flight (its completion sends the next). */
  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      this.flush();
    });
  }

  private async send(batch: PendingWrite[]): Promise<void> {
    const t = now(this.clock);
    let rows: ApplyRow[];
    try {
      const r = await this.pool.query<ApplyRow>('SELECT * FROM zonectl_apply($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7, $8)', [
        batch.map((w) => w.kind),
        batch.map((w) => w.key.type),
        batch.map((w) => w.key.mesh),
        batch.map((w) => w.key.name),
        batch.map((w) => (w.base ? JSON.stringify(w.base) : null)),
        batch.map((w) => w.expected ?? null),
        t,
        this.instanceId,
      ]);
      rows = r.rows;
    } catch (err) {
      // Not acknowledged: the statement failed, or its outcome is unknown (connection lost).
      const e = translate(err, this.opts.url);
      for (const w of batch) w.reject(e);
      return;
    }
    const committed: SequencedChange[] = [];
    const settle: (() => void)[] = [];
    batch.forEach((w, i) => {
      const row = rows[i];
      if (row.status !== 'ok') {
        const err = failure(w, row);
        settle.push(() => w.reject(err));
        return;
      }
      const version = row.version!;
      const op: ChangeOp = w.kind === 'delete' ? 'delete' : version === 1 ? 'create' : 'update';
      const resource = w.base && ({ ...w.base, creationTime: row.creation_time!, modificationTime: t } as Resource);
      // The text is the document as zonectl_apply stored it (the same keys in the same order).
      committed.push({ seq: Number(row.seq), change: { op, key: w.key, version, resource: resource && structuredClone(resource) }, text: resource && JSON.stringify(resource) });
      const value = w.kind === 'delete' ? undefined : w.kind === 'upsert' ? { resource, version, created: op === 'create' } : { resource, version };
      settle.push(() => w.resolve(value));
    });
    this.afterWrites(committed.length);
    // Watchers hear the batch (after any earlier change of other instances) before callers resume.
    await this.feed.deliverLocal(committed);
    for (const s of settle) s();
  }

  /**
   * Vacuums and refreshes the planner's statistics soon after many writes. With stale statistics
   * (a table that grew from empty to 10,000 rows since autovacuum last looked) PostgreSQL sorts
   * a whole type to serve one page instead of walking the primary key in order: 50 ms instead of
   * 2. The vacuum marks the pages all-visible, so the index-only scan that finds a page's first
   * key (list) reads no table pages.
   */
  private afterWrites(n: number): void {
    this.writesSinceAnalyze += n;
    if (this.writesSinceAnalyze < ANALYZE_AFTER_WRITES || this.analyzeTimer || this.closed) return;
    this.analyzeTimer = setTimeout(() => {
      this.writesSinceAnalyze = 0;
      void this.pool
        .query('VACUUM (ANALYZE) zonectl_resources')
        .catch((err: unknown) => this.opts.onProblem?.('could not refresh the planner statistics', err))
        .finally(() => (this.analyzeTimer = undefined));
    }, 500);
    this.analyzeTimer.unref();
  }

  /** Drops change-log entries older than the retention: a prefix of the log (see ChangeFeed). */
  private async prune(): Promise<void> {
    const ms = this.opts.changeRetentionMs ?? 3_600_000;
    await this.pool
      .query(`DELETE FROM zonectl_changes WHERE seq < (SELECT max(seq) FROM zonectl_changes WHERE at < now() - make_interval(secs => $1))`, [ms / 1000])
      .catch((err: unknown) => this.opts.onProblem?.('could not prune the change log', err));
  }
}

/** The resource as stored, minus the timestamps the store sets (same rules as common.stamp). */
function withoutServerFields(resource: Resource): Resource {
  const { creationTime: _c, modificationTime: _m, kri: _k, ...rest } = resource;
  const out = structuredClone(rest) as Resource;
  if (out.mesh === undefined || out.mesh === '') delete out.mesh;
  return out;
}

/** Prepared statement names by text (the same in every connection of every store). */
const statementNames = new Map<string, string>();

function stored(row: { version: number; doc: string }): StoredResource {
  return new StoredText(row.version, row.doc);
}

function failure(w: PendingWrite, row: ApplyRow): Error {
  const what = describeKey(w.key);
  switch (row.status) {
    case 'conflict':
      return new ConflictError(`${what} already exists`);
    case 'not-found':
      return new NotFoundError(`${what} not found`);
    case 'stale-missing':
      return new PreconditionFailedError(`${what} does not exist (expected version ${w.expected})`);
    default:
      return new PreconditionFailedError(`${what} was changed by someone else: it is at version ${row.version}, not ${w.expected}; get it again and reapply your change`);
  }
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  return PostgresStore.open(opts);
}
