/**
 * A Store decorator that times every operation into CpMetrics, so no store implementation
 * (memory, SQLite, PostgreSQL) carries metrics code and a new one is measured for free.
 */
import { isZonectlError } from '../../core/errors.js';
import type { ListOptions, ResourceKey, Store, WriteOptions } from '../store/types.js';
import type { Resource } from '../../resources/types.js';
import type { CpMetrics } from './metrics.js';

export function instrumentStore(inner: Store, metrics: CpMetrics, storeType: string): Store {
  async function timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const out = await run();
      metrics.storeOperation(operation, storeType, (performance.now() - started) / 1000);
      return out;
    } catch (err) {
      metrics.storeOperation(operation, storeType, (performance.now() - started) / 1000, isZonectlError(err) ? err.code : 'internal');
      throw err;
    }
  }
  return {
    get: (key: ResourceKey) => timed('get', () => inner.get(key)),
    list: (opts: ListOptions) => timed('list', () => inner.list(opts)),
    create: (resource: Resource) => timed('create', () => inner.create(resource)),
    update: (resource: Resource, opts?: WriteOptions) => timed('update', () => inner.update(resource, opts)),
    upsert: (resource: Resource, opts?: WriteOptions) => timed('upsert', () => inner.upsert(resource, opts)),
    delete: (key: ResourceKey, opts?: WriteOptions) => timed('delete', () => inner.delete(key, opts)),
    watch: (listener) => inner.watch(listener),
    // `lock` is the wait for the lock, not the work done under it.
    withLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const started = performance.now();
      let acquired = false;
      return inner
        .withLock(name, (signal) => {
          acquired = true;
          metrics.storeOperation('lock', storeType, (performance.now() - started) / 1000);
          return fn(signal);
        })
        .catch((err: unknown) => {
          if (!acquired) metrics.storeOperation('lock', storeType, (performance.now() - started) / 1000, isZonectlError(err) ? err.code : 'internal');
          throw err;
        });
    },
    close: () => inner.close(),
  };
}
