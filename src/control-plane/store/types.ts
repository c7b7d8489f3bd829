/**
 * The store contract. Every implementation (memory, SQLite, later PostgreSQL) passes the same
 * conformance suite in test/control-plane/store/conformance.ts. Failures are the sentinel errors
 * of src/core/errors.ts: NotFoundError, ConflictError (create of an existing key),
 * PreconditionFailedError (stale expectedVersion). Resources are keyed by (type, mesh, name);
 * `mesh` is '' for global kinds.
 */
import type { Resource } from '../../resources/types.js';

export interface StoredResource {
  /** The resource as the API returns it, creationTime/modificationTime set by the store. */
  resource: Resource;
  /** Starts at 1 on create, +1 on every update. Exposed over HTTP as the ETag / If-Match value. */
  version: number;
  /**
   * The resource's JSON text, when the store has it at hand: `JSON.parse(text)` deep-equals
   * `resource`, and the same text always stands for the same document, so callers may cache what
   * they derive from it (the API keeps the serialised answer). Undefined once `resource` is
   * replaced.
   */
  text?: string;
}

export interface ResourceKey {
  type: string;
  name: string;
  mesh?: string;
}

export interface ListOptions {
  type: string;
  /** Only resources of this mesh (mesh-scoped kinds); undefined = all meshes. */
  mesh?: string;
  /** Substring filter on the name. */
  nameContains?: string;
  offset?: number;
  /** Page size; undefined = everything. */
  size?: number;
}

export interface ListResult {
  items: StoredResource[];
  /** Total matching the filter, ignoring offset/size. */
  total: number;
}

export interface WriteOptions {
  /** Optimistic concurrency: fail with PreconditionFailedError unless the stored version is this. */
  expectedVersion?: number;
}

export type ChangeOp = 'create' | 'update' | 'delete';

export interface StoreChange {
  op: ChangeOp;
  key: Required<ResourceKey>;
  /** Version after the change (for delete: the version that was deleted). */
  version: number;
  /** The resource after the change; undefined for delete. */
  resource?: Resource;
}

export type Unsubscribe = () => void;

export interface Store {
  get(key: ResourceKey): Promise<StoredResource>;
  list(opts: ListOptions): Promise<ListResult>;
  /** Creates; ConflictError when the key exists. */
  create(resource: Resource): Promise<StoredResource>;
  /** Updates; NotFoundError when missing, PreconditionFailedError on a stale expectedVersion. */
  update(resource: Resource, opts?: WriteOptions): Promise<StoredResource>;
  /** Create or update in one step (PUT semantics); `created` tells which happened. */
  upsert(resource: Resource, opts?: WriteOptions): Promise<StoredResource & { created: boolean }>;
  /** Deletes; NotFoundError when missing, PreconditionFailedError on a stale expectedVersion. */
  delete(key: ResourceKey, opts?: WriteOptions): Promise<void>;
  /**
   * Every committed change, in commit order, to every subscriber, after the write's promise
   * resolves or at the same time. A subscriber must not throw; it is called synchronously.
   */
  watch(listener: (change: StoreChange) => void): Unsubscribe;
  /**
   * Runs fn while holding a named lock that is exclusive across every instance sharing this
   * store (a process mutex for memory/SQLite, an advisory lock for PostgreSQL). Used e.g. to
   * create the first zone-token signing key exactly once.
   *
   * `signal` aborts when the lock is lost while fn runs (PostgreSQL: the lock's connection broke,
   * so the database released it and another instance may take it): fn should stop and not commit
   * work that needs exclusivity. withLock then rejects with UnavailableError, even if fn resolved.
   * A process mutex is never lost; its signal never aborts.
   */
  withLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
