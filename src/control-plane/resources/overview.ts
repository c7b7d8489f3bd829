/**
 * Read-only views behind `inspect zoneegresses`: a ZoneEgressOverview pairs each ZoneEgress with
 * its ZoneEgressInsight (empty `{}` until the egress's dp-server session writes one). Kuma serves
 * them at `/zoneegresses/_overview[/...]` and the legacy `/zoneegressoverviews[/{name}]`.
 */
import { MethodNotAllowedError, NotFoundError, isZonectlError } from '../../core/errors.js';
import type { ApiResponse, ApiRoute } from '../server/types.js';
import type { Store, StoredResource } from '../store/types.js';
import { kriOf } from './kri.js';
import { listBody, parsePage, specOf } from './view.js';

export function overviewRoutes(store: Store): ApiRoute[] {
  const list: ApiRoute['handle'] = async (req) => {
    const page = parsePage(req);
    const r = await store.list({ type: 'ZoneEgress', nameContains: page.nameContains, offset: page.offset, size: page.size });
    const items = await Promise.all(r.items.map((s) => overview(store, s)));
    return { status: 200, body: listBody(req, page, r.total, items) };
  };
  const one: ApiRoute['handle'] = async (req) => {
    let s: StoredResource;
    try {
      s = await store.get({ type: 'ZoneEgress', name: req.params.name });
    } catch (err) {
      throw isZonectlError(err) && err.code === 'not-found' ? new NotFoundError('Not found') : err;
    }
    return { status: 200, body: await overview(store, s) };
  };
  const refuse = (): ApiResponse => {
    throw new MethodNotAllowedError('Method not allowed');
  };
  const common = { resourceType: 'ZoneEgressOverview' };
  return [
    { ...common, method: 'GET', path: '/zoneegresses/_overview', errorTitle: 'Could not retrieve resources', handle: list },
    { ...common, method: 'GET', path: '/zoneegresses/:name/_overview', errorTitle: 'Could not retrieve a resource', handle: one },
    { ...common, method: 'GET', path: '/zoneegressoverviews', errorTitle: 'Could not retrieve resources', handle: list },
    { ...common, method: 'GET', path: '/zoneegressoverviews/:name', errorTitle: 'Could not retrieve a resource', handle: one },
    { ...common, method: 'PUT', path: '/zoneegressoverviews/:name', access: 'any', handle: refuse },
    { ...common, method: 'DELETE', path: '/zoneegressoverviews/:name', access: 'any', handle: refuse },
  ];
}

async function overview(store: Store, egress: StoredResource): Promise<Record<string, unknown>> {
  const ze = egress.resource;
  let insight: Record<string, unknown> = {};
  try {
    insight = specOf((await store.get({ type: 'ZoneEgressInsight', name: ze.name })).resource);
  } catch (err) {
    if (!(isZonectlError(err) && err.code === 'not-found')) throw err;
  }
  const out: Record<string, unknown> = { type: 'ZoneEgressOverview', name: ze.name, creationTime: ze.creationTime, modificationTime: ze.modificationTime };
  if (ze.labels !== undefined) out.labels = ze.labels;
  out.kri = kriOf('ZoneEgress', ze.name);
  out.zoneEgress = specOf(ze);
  out.zoneEgressInsight = insight;
  return out;
}
