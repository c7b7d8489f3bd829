/**
 * Keeps the current egress snapshot and pushes new versions to every open stream. A store change
 * to an input type schedules one recomputation after a short debounce (a burst of PUTs becomes
 * one snapshot, and the first change of a burst still goes out within the 1 s promise);
 * recomputations never overlap; identity rotation schedules its own. Listeners only hear about
 * a snapshot whose version differs from the previous one.
 */
import type { Logger } from '../../core/log.js';
import type { EgressSnapshot } from '../../resources/egress-config.js';
import type { EgressConfigSource } from '../egress-config/from-store.js';
import { SNAPSHOT_INPUT_TYPES } from '../egress-config/from-store.js';
import type { Store, Unsubscribe } from '../store/types.js';

export interface HubOptions {
  store: Store;
  source: EgressConfigSource;
  logger: Logger;
  /** Delay between the first change of a burst and the recomputation. */
  debounceMs?: number;
  /** Retry delay after a failed recomputation (store unavailable). */
  retryMs?: number;
}

/** setTimeout's limit; later rotations are re-armed when this fires. */
const MAX_TIMER_MS = 2_147_000_000;

export class SnapshotHub {
  private current?: EgressSnapshot;
  private readonly listeners = new Set<(s: EgressSnapshot) => void>();
  private unwatch?: Unsubscribe;
  private timer?: NodeJS.Timeout;
  private rotationTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private dirty = false;
  private closed = false;
  private firstWaiters: ((s: EgressSnapshot) => void)[] = [];

  constructor(private readonly opts: HubOptions) {}

  start(): void {
    this.unwatch = this.opts.store.watch((change) => {
      if (SNAPSHOT_INPUT_TYPES.has(change.key.type)) this.schedule(this.opts.debounceMs ?? 50);
    });
    this.schedule(0);
  }

  /**
   * The current snapshot for a new stream. A pending recomputation runs first (skipping its
   * debounce), so an egress that connects right after a change starts from that change.
   */
  async snapshot(): Promise<EgressSnapshot> {
    if (this.dirty || this.running) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.run();
    }
    if (this.current) return this.current;
    return new Promise((resolve) => this.firstWaiters.push(resolve));
  }

  subscribe(listener: (s: EgressSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Recompute now (e.g. after a write the hub cannot see); resolves when done. */
  async refresh(): Promise<void> {
    this.dirty = true;
    await this.run();
  }

  close(): void {
    this.closed = true;
    this.unwatch?.();
    clearTimeout(this.timer);
    clearTimeout(this.rotationTimer);
    this.listeners.clear();
  }

  private schedule(delayMs: number): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
    this.timer.unref();
  }

  private run(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        try {
          const { snapshot, nextRotation } = await this.opts.source.compute();
          this.armRotation(nextRotation);
          this.publish(snapshot);
        } catch (err) {
          this.opts.logger.error({ err: (err as Error).message }, 'could not compute the egress config; retrying');
          this.schedule(this.opts.retryMs ?? 1000);
          break;
        }
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private publish(snapshot: EgressSnapshot): void {
    if (this.closed || this.current?.version === snapshot.version) return;
    this.current = snapshot;
    for (const w of this.firstWaiters.splice(0)) w(snapshot);
    for (const l of this.listeners) l(snapshot);
  }

  private armRotation(at: Date | undefined): void {
    clearTimeout(this.rotationTimer);
    if (!at || this.closed) return;
    const delay = Math.min(Math.max(at.getTime() - Date.now(), 0), MAX_TIMER_MS);
    this.rotationTimer = setTimeout(() => this.schedule(0), delay);
    this.rotationTimer.unref();
  }
}
