/**
 * How stored resources look on the wire (Kuma's Universal REST format) and the list envelope
 * with Kuma's pagination rules and messages (reference/kuma-2.14/api-server/crud/list_mesh_*).
 */
import { PreconditionFailedError, ValidationError } from '../../core/errors.js';
import { toKubernetes } from '../../resources/kubernetes.js';
import type { Resource } from '../../resources/types.js';
import type { ApiRequest } from '../server/types.js';
import type { StoredResource } from '../store/types.js';
import { kriOf } from './kri.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Meta first in Kuma's order, then `kri`, then the spec fields as stored. */
export function toApi(r: Resource): Record<string, unknown> {
  const { type, mesh, name, creationTime, modificationTime, labels, kri: _kri, ...spec } = r;
  const out: Record<string, unknown> = { type };
  if (mesh) out.mesh = mesh;
  out.name = name;
  out.creationTime = creationTime;
  out.modificationTime = modificationTime;
  if (labels !== undefined) out.labels = labels;
  const kri = kriOf(type, name, mesh);
  if (kri) out.kri = kri;
  return Object.assign(out, spec);
}

/** The spec part only (what an overview nests under `zoneEgress`). */
export function specOf(r: Resource): Record<string, unknown> {
  const { type: _t, mesh: _m, name: _n, creationTime: _c, modificationTime: _mt, labels: _l, kri: _k, ...spec } = r;
  return spec;
}

export interface Page {
  offset: number;
  size: number;
  nameContains?: string;
}

const LIST_TITLE = 'Could not retrieve resources';

export function parsePage(req: ApiRequest): Page {
  const rawOffset = req.query.get('offset');
  const rawSize = req.query.get('size');
  let offset = 0;
  if (rawOffset !== null && rawOffset !== '') {
    if (!/^\d+$/.test(rawOffset)) {
      // Kuma's exact text (it surfaces Go's strconv error); kept for client compatibility.
      throw new ValidationError(`invalid: invalid offset: strconv.Atoi: parsing ${JSON.stringify(rawOffset)}: invalid syntax`, [], LIST_TITLE);
    }
    offset = Number(rawOffset);
  }
  let size = DEFAULT_PAGE_SIZE;
  if (rawSize !== null && rawSize !== '') {
    // Go's strconv.Atoi: an optional sign, then digits; zero and negatives are Kuma's "must be greater than 0".
    if (!/^[+-]?\d+$/.test(rawSize)) throw new ValidationError('Invalid page size', [{ field: 'size', message: 'invalid format' }], LIST_TITLE);
    if (Number(rawSize) <= 0) throw new ValidationError('Invalid page size', [{ field: 'size', message: 'must be greater than 0' }], LIST_TITLE);
    size = Number(rawSize);
    if (size > MAX_PAGE_SIZE) throw new ValidationError('Invalid page size', [{ field: 'size', message: `invalid page size of ${size}. Maximum page size is ${MAX_PAGE_SIZE}` }], LIST_TITLE);
  }
  const name = req.query.get('name');
  return { offset, size, nameContains: name || undefined };
}

export interface ListBody {
  total: number;
  items: unknown[];
  next: string | null;
}

/** `next` is the absolute URL of the following page (query keys sorted, like Go's Encode), or null. */
export function listBody(req: ApiRequest, page: Page, total: number, items: unknown[]): ListBody {
  return { total, items, next: nextPage(req, page, total) };
}

function nextPage(req: ApiRequest, page: Page, total: number): string | null {
  if (page.offset + page.size >= total) return null;
  const q = new URLSearchParams(req.query);
  q.set('offset', String(page.offset + page.size));
  q.set('size', String(page.size));
  q.sort();
  return `${req.baseUrl}${req.path}?${q.toString()}`;
}

/** listBody as JSON text, from the items' JSON texts (the same bytes JSON.stringify(listBody) gives). */
export function listJson(req: ApiRequest, page: Page, total: number, items: string[]): string {
  return `{"total":${total},"items":[${items.join(',')}],"next":${JSON.stringify(nextPage(req, page, total))}}`;
}

/**
 * Stored resources in their wire form as JSON text, remembered by the store's text of each
 * (StoredResource.text): a store that hands texts out (PostgreSQL, from its read cache) has its
 * pages served without parsing or serialising their documents again. The same text is the same
 * document, so a remembered answer is never stale. Bounded: past `maxBytes` the oldest go.
 */
export class WireJson {
  private readonly memo = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  of(s: StoredResource, format: WireFormat): string {
    const text = s.text;
    if (format !== 'universal' || text === undefined) return JSON.stringify(present(s.resource, format));
    let out = this.memo.get(text);
    if (out === undefined) {
      out = JSON.stringify(toApi(s.resource));
      this.memo.set(text, out);
      this.bytes += text.length + out.length;
      for (const [k, v] of this.memo) {
        if (this.bytes <= this.maxBytes) break;
        this.memo.delete(k);
        this.bytes -= k.length + v.length;
      }
    }
    return out;
  }
}

/** `?format=`: Kuma's Universal REST shape (the default) or the Kubernetes form of Kuma's CRDs. */
export type WireFormat = 'universal' | 'kubernetes';
const FORMATS: readonly WireFormat[] = ['universal', 'kubernetes'];

export function parseFormat(req: ApiRequest): WireFormat {
  const raw = req.query.get('format');
  if (raw === null || raw === '') return 'universal';
  if ((FORMATS as readonly string[]).includes(raw)) return raw as WireFormat;
  throw new ValidationError(`Invalid format ${JSON.stringify(raw)}`, [{ field: 'format', message: `must be one of: ${FORMATS.join(', ')}` }]);
}

/** A stored resource as the client asked for it. */
export function present(r: Resource, format: WireFormat): unknown {
  return format === 'kubernetes' ? (toKubernetes(r) ?? toApi(r)) : toApi(r);
}

/** `If-Match: "3"` (or `W/"3"`, `3`) -> 3; absent or `*` -> undefined. */
export function expectedVersion(req: ApiRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(h);
  if (!m) throw new PreconditionFailedError(`If-Match ${JSON.stringify(h)} is not a resource version; send the ETag of a GET of the resource`);
  return Number(m[1]);
}

export function etag(version: number): string {
  return `"${version}"`;
}
