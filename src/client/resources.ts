/**
 * Typed resource operations over ApiClient, driven by the kind registry: one set of functions for
 * every kind, as kumactl's resource store is one client for every type.
 */
import { NotFoundError } from '../core/errors.js';
import { kindByType, resourcePath, type KindInfo } from '../resources/kinds.js';
import type { Resource } from '../resources/types.js';
import type { ApiClient } from './api-client.js';

/** A page of a collection, exactly the REST shape: `{total, items, next}`. */
export interface ResourceList<T = Resource> {
  total: number;
  items: T[];
  next: string | null;
}

export interface ListOptions {
  /** Mesh of a mesh-scoped kind (default `default`). */
  mesh?: string;
  /** Page size (server default 100, max 1000). */
  size?: number;
  /** Opaque offset token, as found in a `next` URL. */
  offset?: string | number;
  /** Substring filter on the name (zonectl's control plane; kuma-cp ignores it). */
  name?: string;
  /** `kubernetes`: items in the Kubernetes form of Kuma's CRDs (zonectl's control plane). */
  format?: 'universal' | 'kubernetes';
}

export interface PutResult {
  /** 201 created, false on 200 updated. */
  created: boolean;
  /** `warnings` of the PUT answer (deprecations and the like): the CLI prints them to stderr. */
  warnings: string[];
}

export interface ItemOptions {
  mesh?: string;
  /** `kubernetes`: the Kubernetes form of Kuma's CRDs (zonectl's control plane). */
  format?: 'universal' | 'kubernetes';
  /** DELETE only: `?force=true`, e.g. a signing key that still verifies connected egresses. */
  force?: boolean;
  /** Optimistic concurrency: the version read earlier; a stale one gets 412. */
  ifMatch?: string;
}

/** `there is no ZoneEgress with name "x"` (kumactl's wording), with the mesh for mesh-scoped kinds. */
export function notFoundMessage(kind: KindInfo, name: string, mesh?: string): string {
  return `there is no ${kind.type} with name ${JSON.stringify(name)}${kind.scope === 'mesh' ? ` in mesh ${JSON.stringify(mesh ?? 'default')}` : ''}`;
}

export async function getResource(client: ApiClient, kind: KindInfo, name: string, opts: ItemOptions = {}): Promise<Resource> {
  try {
    return await client.requestJson<Resource>('GET', resourcePath(kind, opts.mesh, name), opts.format ? { query: { format: opts.format } } : undefined);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(notFoundMessage(kind, name, opts.mesh));
    throw err;
  }
}

/** One page of a collection path (`/zoneegresses`, `/zoneegresses/_overview`). */
export async function listPath<T = Resource>(client: ApiClient, path: string, opts: Omit<ListOptions, 'mesh'> = {}): Promise<ResourceList<T>> {
  const body = await client.requestJson<Partial<ResourceList<T>>>('GET', path, { query: { size: opts.size, offset: opts.offset, name: opts.name, format: opts.format } });
  const items = Array.isArray(body.items) ? body.items : [];
  return { total: typeof body.total === 'number' ? body.total : items.length, items, next: typeof body.next === 'string' && body.next !== '' ? body.next : null };
}

export function listResources(client: ApiClient, kind: KindInfo, opts: ListOptions = {}): Promise<ResourceList> {
  return listPath(client, resourcePath(kind, opts.mesh), opts);
}

/** The offset token of a `next` URL, e.g. `http://cp:5681/meshes?offset=100&size=100` -> `100`. */
export function nextOffset(next: string | null): string | undefined {
  if (!next) return undefined;
  try {
    return new URL(next, 'http://placeholder').searchParams.get('offset') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every item of a collection path, following `next` page by page. The next URL's host is the one
 * the server saw, which may not be ours (proxies), so only its offset is reused.
 */
export async function listAllPath<T = Resource>(client: ApiClient, path: string, opts: { size?: number; name?: string } = {}): Promise<T[]> {
  const out: T[] = [];
  let offset: string | undefined;
  for (;;) {
    const page = await listPath<T>(client, path, { size: opts.size ?? 1000, offset, name: opts.name });
    out.push(...page.items);
    const following = nextOffset(page.next);
    if (following === undefined || following === offset || page.items.length === 0) return out;
    offset = following;
  }
}

export function listAllResources(client: ApiClient, kind: KindInfo, opts: { mesh?: string; size?: number } = {}): Promise<Resource[]> {
  return listAllPath(client, resourcePath(kind, opts.mesh), opts);
}

/**
 * Creates or updates one resource (PUT). The kind comes from the document's `type`; a mesh-scoped
 * document needs its `mesh` (default `default`, as kumactl).
 */
export async function putResource(client: ApiClient, resource: Resource, opts: ItemOptions = {}): Promise<PutResult> {
  const kind = kindByType(resource.type);
  if (!kind) throw new NotFoundError(`unknown resource type ${JSON.stringify(resource.type)}`);
  const mesh = kind.scope === 'mesh' ? (resource.mesh ?? opts.mesh ?? 'default') : undefined;
  const body = kind.scope === 'mesh' ? { ...resource, mesh } : resource;
  const res = await client.request('PUT', resourcePath(kind, mesh, resource.name), {
    body,
    headers: opts.ifMatch ? { 'if-match': opts.ifMatch } : undefined,
  });
  return { created: res.status === 201, warnings: warningsOf(res.body) };
}

export async function deleteResource(client: ApiClient, kind: KindInfo, name: string, opts: ItemOptions = {}): Promise<void> {
  try {
    await client.request('DELETE', resourcePath(kind, opts.mesh, name), {
      headers: opts.ifMatch ? { 'if-match': opts.ifMatch } : undefined,
      query: opts.force ? { force: 'true' } : undefined,
    });
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(notFoundMessage(kind, name, opts.mesh));
    throw err;
  }
}

function warningsOf(body: string): string[] {
  if (!body.trim().startsWith('{')) return [];
  try {
    const parsed = JSON.parse(body) as { warnings?: unknown };
    return Array.isArray(parsed.warnings) ? parsed.warnings.map(String) : [];
  } catch {
    return [];
  }
}
