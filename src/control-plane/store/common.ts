/**
 * Pieces every store implementation shares, so they behave the same under the conformance suite:
 * key normalisation, server-set timestamps, deep copies at the boundary, the in-process lock.
 */
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import type { ResourceKey, StoreChange } from './types.js';

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
