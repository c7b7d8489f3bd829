/**
 * List filters, as Kuma's api-server/filters: `filter[labels.K]=V` (label equality, several ANDed;
 * the last value of a repeated key wins) on every collection, and `tag=K:V` (repeatable; the value
 * is a substring, `*` matches any) on ExternalServices. Any other `filter[...]` is refused.
 */
import { ValidationError, type Violation } from '../../core/errors.js';
import type { Resource } from '../../resources/types.js';
import type { ApiRequest } from '../server/types.js';

export type ResourceFilter = (r: Resource) => boolean;

/** `routePath` is the route as Kuma names it in violations (`/meshes/{mesh}/external-services`). */
export function parseListFilter(req: ApiRequest, type: string, routePath: string): ResourceFilter | undefined {
  const labels = new Map<string, string>();
  const violations: Violation[] = [];
  for (const key of new Set(req.query.keys())) {
    if (!key.startsWith('filter[')) continue;
    const values = req.query.getAll(key);
    if (!key.startsWith('filter[labels.')) {
      violations.push({ field: `${routePath}.${key}`, message: 'filters are only supported on labels' });
      continue;
    }
    const close = key.indexOf(']');
    if (close !== key.length - 1) {
      violations.push({ field: `${routePath}.${key}`, message: 'advanced filters are not supported' });
      continue;
    }
    labels.set(key.slice('filter[labels.'.length, close), values[values.length - 1]);
  }
  if (violations.length) throw new ValidationError('Resource is not valid', violations, 'Could not retrieve resources');
  const tags = type === 'ExternalService' ? parseTags(req.query.getAll('tag')) : new Map<string, string>();
  if (labels.size === 0 && tags.size === 0) return undefined;
  return (r) => {
    for (const [k, v] of labels) if (r.labels?.[k] !== v) return false;
    const have = (r.tags ?? {}) as Record<string, unknown>;
    for (const [k, v] of tags) {
      const value = have[k];
      if (typeof value !== 'string' || (v !== '*' && !value.includes(v))) return false;
    }
    return true;
  };
}

/** `service:web` -> service=web; `:` may appear in the value; malformed entries are ignored (Kuma). */
function parseTags(values: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf(':');
    if (i >= 0) out.set(v.slice(0, i), v.slice(i + 1));
  }
  return out;
}
