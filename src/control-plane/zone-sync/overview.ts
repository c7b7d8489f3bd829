/**
 * Read-only views behind `inspect zones`: a ZoneOverview pairs each Zone with its ZoneInsight
 * (Kuma's system.ZoneOverview), at Kuma's paths `/zones/_overview[/...]` and `/zones+insights`.
 */
import { MethodNotAllowedError, NotFoundError, isZonectlError } from '../../core/errors.js';
import { specOf, listBody, parsePage } from '../resources/view.js';
import type { ApiResponse, ApiRoute } from '../server/types.js';
import type { Store, StoredResource } from '../store/types.js';

export function zoneRoutes(store: Store): ApiRoute[] {
  const list: ApiRoute['handle'] = async (req) => {
    const page = parsePage(req);
    const r = await store.list({ type: 'Zone', nameContains: page.nameContains, offset: page.offset, size: page.size });
    const items = await Promise.all(r.items.map((s) => zoneOverview(store, s)));
    return { status: 200, body: listBody(req, page, r.total, items) };
  };
  const one: ApiRoute['handle'] = async (req) => {
    let s: StoredResource;
    try {
      s = await store.get({ type: 'Zone', name: req.params.name });
    } catch (err) {
      throw isZonectlError(err) && err.code === 'not-found' ? new NotFoundError('Not found') : err;
    }
    return { status: 200, body: await zoneOverview(store, s) };
  };
  const refuse = (): ApiResponse => {
    throw new MethodNotAllowedError('Method not allowed');
  };
  const common = { resourceType: 'ZoneOverview' };
  return [
    { ...common, method: 'GET', path: '/zones/_overview', errorTitle: 'Could not retrieve resources', handle: list },
    { ...common, method: 'GET', path: '/zones/:name/_overview', errorTitle: 'Could not retrieve a resource', handle: one },
    { ...common, method: 'GET', path: '/zones+insights', errorTitle: 'Could not retrieve resources', handle: list },
    { ...common, method: 'GET', path: '/zones+insights/:name', errorTitle: 'Could not retrieve a resource', handle: one },
    { ...common, method: 'PUT', path: '/zones+insights/:name', access: 'any', handle: refuse },
    { ...common, method: 'DELETE', path: '/zones+insights/:name', access: 'any', handle: refuse },
  ];
}

export async function zoneOverview(store: Store, zone: StoredResource): Promise<Record<string, unknown>> {
  const z = zone.resource;
  let insight: Record<string, unknown> = {};
  try {
    insight = specOf((await store.get({ type: 'ZoneInsight', name: z.name })).resource);
  } catch (err) {
    if (!(isZonectlError(err) && err.code === 'not-found')) throw err;
  }
  const out: Record<string, unknown> = { type: 'ZoneOverview', name: z.name, creationTime: z.creationTime, modificationTime: z.modificationTime };
  if (z.labels !== undefined) out.labels = z.labels;
  out.zone = specOf(z);
  out.zoneInsight = insight;
  return out;
}
