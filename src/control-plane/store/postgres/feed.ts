/**
 * The change feed of one PostgreSQL store instance: delivers every committed change, of this
 * instance and of every other one sharing the database, to the watchers in commit order.
 *
 * Each change has a sequence number, handed out in commit order (see schema.ts) and kept with the
 * document in `zonectl_changes`. Writers NOTIFY (seq, op, type, mesh, name, version) on commit; a
 * notification only says "there is something after what you delivered": the feed then reads the
 * log from its last delivered sequence number. So a dropped listener connection loses nothing:
 * after reconnecting (with backoff) the feed reads what it missed. This instance's own writes are
 * delivered from the write's result without a read, unless changes of other instances came
 * before them and are not delivered yet (then those are read first).
 *
 * If the log was pruned past what this instance delivered (a listener down for longer than the
 * retention), the feed re-announces every stored resource as an update, so caches refresh.
 */
import type pg from 'pg';
import type { Resource } from '../../../resources/types.js';
import type { StoreChange } from '../types.js';
import { CHANNEL } from './schema.js';

export interface SequencedChange {
  seq: number;
  change: StoreChange;
  /** The document's JSON text after the change, when at hand (undefined for delete). */
  text?: string;
}

interface LocalBatch {
  first: number;
  last: number;
  changes: SequencedChange[];
  done: () => void;
}

interface LogRow {
  seq: string;
  op: StoreChange['op'];
  type: string;
  mesh: string;
  name: string;
  version: number;
  doc: string | null;
}

export interface ChangeFeedOptions {
  pool: pg.Pool;
  /** Opens the dedicated LISTEN connection (not from the pool: it is held forever). */
  connectListener: () => Promise<pg.Client>;
  /** Every change after the start, in sequence order, with its sequence number and document text. */
  emit: (change: StoreChange, seq: number, text?: string) => void;
  /** Called before every resource is re-announced (the log was pruned past this instance). */
  onResync?: () => void;
  /** Problems the feed recovers from by itself (listener lost, log unreadable): for logging. */
  onProblem?: (what: string, err: unknown) => void;
}

const PAGE = 1000;
const MAX_BACKOFF_MS = 2_000;

export class ChangeFeed {
  private lastSeq = 0;
  private readonly pending: LocalBatch[] = [];
  private wantCatchUp = false;
  private pumping?: Promise<void>;
  private listener?: pg.Client;
  private retryTimer?: NodeJS.Timeout;
  private backoffMs = 50;
  private closed = false;

  constructor(private readonly opts: ChangeFeedOptions) {}

  /** Listens, then starts from the newest change: history before the start is not replayed. */
  async start(): Promise<void> {
    await this.listen();
    const r = await this.opts.pool.query<{ max: string | null }>('SELECT max(seq) AS max FROM zonectl_changes');
    this.lastSeq = Number(r.rows[0].max ?? 0);
  }

  /** The highest sequence number delivered to watchers (for tests and diagnostics). */
  get delivered(): number {
    return this.lastSeq;
  }

  /**
   * Delivers this instance's committed batch after everything before it; resolves when delivered
   * (or, if the log cannot be read right now, once the delivery is queued for a retry).
   */
  deliverLocal(changes: SequencedChange[]): Promise<void> {
    if (changes.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.pending.push({ first: changes[0].seq, last: changes[changes.length - 1].seq, changes, done: resolve });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const b of this.pending.splice(0)) b.done();
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.pumping;
  }

  private async listen(): Promise<void> {
    const client = await this.opts.connectListener();
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL) return;
      const seq = Number((JSON.parse(n.payload ?? '{}') as { seq?: number }).seq ?? 0);
      if (seq > this.lastSeq) this.catchUp();
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the listener connection ended')));
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.listener !== client || this.closed) return;
    this.listener = undefined;
    this.opts.onProblem?.('lost the PostgreSQL change listener; reconnecting', err);
    client.end().catch(() => undefined);
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.listen()
        .then(() => {
          this.backoffMs = 50;
          // Whatever was committed while we were not listening.
          this.catchUp();
        })
        .catch((err: unknown) => {
          this.opts.onProblem?.('cannot reconnect the PostgreSQL change listener; retrying', err);
          this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
          this.reconnect();
        });
    }, this.backoffMs);
  }

  private catchUp(): void {
    this.wantCatchUp = true;
    void this.pump();
  }

  /** The single delivery loop: local batches and catch-ups, one at a time, in sequence order. */
  private pump(): Promise<void> {
    if (this.pumping) return this.pumping;
    this.pumping = (async () => {
      try {
        while (!this.closed) {
          const batch = this.pending[0];
          if (batch) {
            if (batch.first > this.lastSeq + 1) await this.readLog(batch.first - 1);
            for (const c of batch.changes) this.deliver(c.seq, c.change, c.text);
            this.pending.shift();
            batch.done();
          } else if (this.wantCatchUp) {
            this.wantCatchUp = false;
            await this.readLog(Number.MAX_SAFE_INTEGER);
          } else break;
        }
      } catch (err) {
        // The log is unreadable (server gone): writers must not hang on it. Their promises
        // resolve now (the writes are committed); the changes are delivered, in order, on retry.
        this.opts.onProblem?.('cannot read the PostgreSQL change log; retrying', err);
        for (const b of this.pending) b.done();
        this.wantCatchUp = true;
        clearTimeout(this.retryTimer);
        if (!this.closed) {
          this.retryTimer = setTimeout(() => (this.listener ? void this.pump() : this.reconnect()), this.backoffMs);
          this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
        }
      }
    })().finally(() => (this.pumping = undefined));
    return this.pumping;
  }

  private deliver(seq: number, change: StoreChange, text?: string): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.opts.emit(change, seq, text);
  }

  /** Delivers the logged changes after lastSeq up to `upTo`. */
  private async readLog(upTo: number): Promise<void> {
    for (;;) {
      const { rows } = await this.opts.pool.query<LogRow>('SELECT seq, op, type, mesh, name, version, doc FROM zonectl_changes WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3', [this.lastSeq, upTo, PAGE]);
      if (rows.length && Number(rows[0].seq) > this.lastSeq + 1 && this.lastSeq > 0 && (await this.pruned())) await this.resync(Number(rows[0].seq) - 1);
      for (const r of rows) {
        const key = { type: r.type, mesh: r.mesh, name: r.name };
        this.deliver(Number(r.seq), { op: r.op, key, version: r.version, resource: r.doc === null ? undefined : (JSON.parse(r.doc) as Resource) }, r.doc ?? undefined);
      }
      this.backoffMs = 50;
      if (rows.length < PAGE) return;
    }
  }

  /** True when entries after lastSeq were pruned (pruning removes a prefix of the log). */
  private async pruned(): Promise<boolean> {
    const r = await this.opts.pool.query('SELECT 1 FROM zonectl_changes WHERE seq <= $1 LIMIT 1', [this.lastSeq]);
    return r.rowCount === 0;
  }

  private async resync(through: number): Promise<void> {
    this.opts.onProblem?.('the change log was pruned past this instance; re-announcing every resource', undefined);
    const { rows } = await this.opts.pool.query<{ type: string; mesh: string; name: string; version: number; doc: string }>('SELECT type, mesh, name, version, doc FROM zonectl_resources');
    this.opts.onResync?.();
    for (const r of rows) this.opts.emit({ op: 'update', key: { type: r.type, mesh: r.mesh, name: r.name }, version: r.version, resource: JSON.parse(r.doc) as Resource }, through, r.doc);
    this.lastSeq = through;
  }
}
