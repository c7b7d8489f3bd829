/**
 * Pieces every store implementation shares, so they behave the same under the conformance suite:
 * key normalisation, server-set timestamps, deep copies at the boundary, the in-process lock.
 */
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import type { ResourceKey, StoreChange, StoredResource } from './types.js';

export type FullKey = Required<ResourceKey>;

export function fullKey(key: ResourceKey): FullKey {
  return { type: key.type, name: key.name, mesh: key.mesh ?? '' };
}

export function keyOf(resource: Resource): FullKey {
  return fullKey({ type: resource.type, name: resource.name, mesh: resource.mesh });
}

export function describeKey(key: ResourceKey): string {
  return key.mesh ? `${key.type} "${key.name}" in mesh "${key.mesh}"` : `${key.type} "${key.name}"`;
}

/** RFC 3339 the way Go prints it: no fractional part when the milliseconds are zero. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/**
 * The stored form of a resource: the caller's document without server-owned fields, with the
 * store's timestamps. `kri` is derived on output by the API, never stored.
 */
export function stamp(resource: Resource, creationTime: string, modificationTime: string): Resource {
  const { creationTime: _c, modificationTime: _m, kri: _k, ...rest } = resource;
  const out: Resource = { ...rest, creationTime, modificationTime } as Resource;
  if (out.mesh === undefined || out.mesh === '') delete out.mesh;
  return out;
}

export function now(clock: Clock): string {
  return rfc3339(clock.now());
}

/**
 * A stored resource kept as its JSON text and parsed when `resource` is first read: a caller that
 * only needs the text (the API serialising a page, see StoredResource.text) never pays for the
 * parse. Each instance parses its own copy, so callers may change it. `resource` is an accessor:
 * copy such an object field by field, not with a spread.
 */
export class StoredText implements StoredResource {
  #resource?: Resource;
  text: string | undefined;

  constructor(
    public version: number,
    text: string,
  ) {
    this.text = text;
  }

  get resource(): Resource {
    return (this.#resource ??= JSON.parse(this.text!) as Resource);
  }

  set resource(r: Resource) {
    this.#resource = r;
    this.text = undefined;
  }
}

/** Calls each listener; one that throws must not stop the others or fail the write. */
export function emit(listeners: Iterable<(c: StoreChange) => void>, change: StoreChange): void {
  for (const l of listeners) {
    try {
      l(change);
    } catch {
      // Contract: subscribers must not throw. Swallowing keeps the store consistent if one does.
    }
  }
}

/** The signal of a lock that cannot be lost (a process mutex). */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Named async mutex within this process (memory and SQLite stores serve a single instance). */
export class LocalLocks {
  private tails = new Map<string, Promise<unknown>>();

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(name, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

/** What a SortedIndex holds: anything keyed by (mesh, name) within one type. */
export interface IndexEntry {
  mesh: string;
  name: string;
}

/**
 * One type's entries, kept sorted by (name, mesh), the order every store lists in, so a page is
 * a slice rather than a sort.
 */
export class SortedIndex<E extends IndexEntry> {
  readonly byKey = new Map<string, E>();
  readonly sorted: E[] = [];

  static id(mesh: string, name: string): string {
    return `${mesh}\u0000${name}`;
  }

  get(mesh: string, name: string): E | undefined {
    return this.byKey.get(SortedIndex.id(mesh, name));
  }

  private position(name: string, mesh: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.sorted[mid];
      if (e.name < name || (e.name === name && e.mesh < mesh)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts, or replaces the entry with the same key. */
  put(e: E): void {
    const id = SortedIndex.id(e.mesh, e.name);
    const pos = this.position(e.name, e.mesh);
    if (this.byKey.has(id)) this.sorted[pos] = e;
    else this.sorted.splice(pos, 0, e);
    this.byKey.set(id, e);
  }

  remove(mesh: string, name: string): void {
    const id = SortedIndex.id(mesh, name);
    if (!this.byKey.delete(id)) return;
    this.sorted.splice(this.position(name, mesh), 1);
  }

  /** The filtered entries (all when no filter) and one page of them. */
  page(opts: { mesh?: string; nameContains?: string; offset?: number; size?: number }): { total: number; items: E[] } {
    const filter = opts.mesh !== undefined || opts.nameContains;
    const matching = filter
      ? this.sorted.filter((e) => (opts.mesh === undefined || e.mesh === opts.mesh) && (!opts.nameContains || e.name.includes(opts.nameContains)))
      : this.sorted;
    const offset = opts.offset ?? 0;
    return { total: matching.length, items: matching.slice(offset, opts.size === undefined ? undefined : offset + opts.size) };
  }
}
