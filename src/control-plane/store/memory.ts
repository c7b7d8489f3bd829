/**
 * The in-memory store: for tests, the demo and `--store memory`. Same contract and conformance
 * suite as the durable stores; nothing survives the process. Resources are deep-copied in and
 * out so callers can never mutate stored state.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PreconditionFailedError, UnavailableError } from '../../core/errors.js';
import type { Resource } from '../../resources/types.js';
import { describeKey, emit, fullKey, keyOf, LocalLocks, NEVER_ABORTED, now, SortedIndex, stamp, type FullKey } from './common.js';
import type { ListOptions, ListResult, ResourceKey, Store, StoreChange, StoredResource, Unsubscribe, WriteOptions } from './types.js';

interface Entry {
  mesh: string;
  name: string;
  resource: Resource;
  version: number;
}

export interface MemoryStoreOptions {
  clock?: Clock;
}

export class MemoryStore implements Store {
  private readonly clock: Clock;
  private readonly types = new Map<string, SortedIndex<Entry>>();
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly locks = new LocalLocks();
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  private collection(type: string): SortedIndex<Entry> {
    let c = this.types.get(type);
    if (!c) this.types.set(type, (c = new SortedIndex<Entry>()));
    return c;
  }

  private find(key: FullKey): Entry | undefined {
    return this.types.get(key.type)?.get(key.mesh, key.name);
  }

  private check(): void {
    if (this.closed) throw new UnavailableError('the store is closed');
  }

  async get(key: ResourceKey): Promise<StoredResource> {
    this.check();
    const e = this.find(fullKey(key));
    if (!e) throw new NotFoundError(`${describeKey(key)} not found`);
    return { resource: structuredClone(e.resource), version: e.version };
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.check();
    const page = this.types.get(opts.type)?.page(opts) ?? { total: 0, items: [] };
    return { total: page.total, items: page.items.map((e) => ({ resource: structuredClone(e.resource), version: e.version })) };
  }

  async create(resource: Resource): Promise<StoredResource> {
    this.check();
    const key = keyOf(resource);
    if (this.find(key)) throw new ConflictError(`${describeKey(key)} already exists`);
    return this.insert(key, resource);
  }

  async update(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource> {
    this.check();
    const key = keyOf(resource);
    const e = this.find(key);
    if (!e) throw new NotFoundError(`${describeKey(key)} not found`);
    return this.replace(key, e, resource, opts);
  }

  async upsert(resource: Resource, opts: WriteOptions = {}): Promise<StoredResource & { created: boolean }> {
    this.check();
    const key = keyOf(resource);
    const e = this.find(key);
    if (!e) {
      // A version other than "absent" cannot match a missing resource.
      if (opts.expectedVersion !== undefined) throw new PreconditionFailedError(`${describeKey(key)} does not exist (expected version ${opts.expectedVersion})`);
      return { ...this.insert(key, resource), created: true };
    }
    return { ...this.replace(key, e, resource, opts), created: false };
  }

  async delete(key: ResourceKey, opts: WriteOptions = {}): Promise<void> {
    this.check();
    const k = fullKey(key);
    const e = this.find(k);
    if (!e) throw new NotFoundError(`${describeKey(key)} not found`);
    checkVersion(k, e.version, opts);
    this.collection(k.type).remove(e.mesh, e.name);
    emit(this.listeners, { op: 'delete', key: k, version: e.version });
  }

  watch(listener: (change: StoreChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  withLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.locks.run(name, () => fn(NEVER_ABORTED));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  private insert(key: FullKey, resource: Resource): StoredResource {
    const t = now(this.clock);
    const stored = stamp(structuredClone(resource), t, t);
    this.collection(key.type).put({ mesh: key.mesh, name: key.name, resource: stored, version: 1 });
    emit(this.listeners, { op: 'create', key, version: 1, resource: structuredClone(stored) });
    return { resource: structuredClone(stored), version: 1 };
  }

  private replace(key: FullKey, e: Entry, resource: Resource, opts: WriteOptions): StoredResource {
    checkVersion(key, e.version, opts);
    e.resource = stamp(structuredClone(resource), e.resource.creationTime ?? now(this.clock), now(this.clock));
    e.version += 1;
    emit(this.listeners, { op: 'update', key, version: e.version, resource: structuredClone(e.resource) });
    return { resource: structuredClone(e.resource), version: e.version };
  }
}

export function checkVersion(key: ResourceKey, actual: number, opts: WriteOptions): void {
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== actual) {
    throw new PreconditionFailedError(`${describeKey(key)} was changed by someone else: it is at version ${actual}, not ${opts.expectedVersion}; get it again and reapply your change`);
  }
}

export function createMemoryStore(opts: MemoryStoreOptions = {}): Store {
  return new MemoryStore(opts);
}
