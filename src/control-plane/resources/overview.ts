/**
 * Read-only views behind `inspect zoneegresses` and `inspect zoneingresses`: an overview pairs each
 * ZoneEgress (ZoneIngress) with its insight (empty `{}` until a session writes one). Kuma serves
 * them at `/<collection>/_overview[/...]` and the legacy `/zoneegressoverviews[/{name}]` and
 * `/zoneingresses+insights[/{name}]`.
 */
import { MethodNotAllowedError, NotFoundError, isZonectlError } from '../../core/errors.js';
import type { ApiResponse, ApiRoute } from '../server/types.js';
import type { Store, StoredResource } from '../store/types.js';
import { kriOf } from './kri.js';
import { listBody, parsePage, specOf } from './view.js';

interface OverviewKind {
  type: 'ZoneEgress' | 'ZoneIngress';
  /** `zoneEgress` / `zoneIngress`: the keys of the spec and (+Insight) the insight. */
  key: string;
  collections: string[];
  legacy: string;
}

const KINDS: OverviewKind[] = [
  { type: 'ZoneEgress', key: 'zoneEgress', collections: ['zoneegresses', 'zone-egresses'], legacy: 'zoneegressoverviews' },
  { type: 'ZoneIngress', key: 'zoneIngress', collections: ['zoneingresses', 'zone-ingresses'], legacy: 'zoneingresses+insights' },
];

export function overviewRoutes(store: Store): ApiRoute[] {
  return KINDS.flatMap((k) => kindOverviewRoutes(store, k));
}

function kindOverviewRoutes(store: Store, kind: OverviewKind): ApiRoute[] {
  const list: ApiRoute['handle'] = async (req) => {
    const page = parsePage(req);
    const r = await store.list({ type: kind.type, nameContains: page.nameContains, offset: page.offset, size: page.size });
    const items = await Promise.all(r.items.map((s) => overview(store, kind, s)));
    return { status: 200, body: listBody(req, page, r.total, items) };
  };
  const one: ApiRoute['handle'] = async (req) => {
    let s: StoredResource;
    try {
      s = await store.get({ type: kind.type, name: req.params.name });
    } catch (err) {
      throw isZonectlError(err) && err.code === 'not-found' ? new NotFoundError('Not found') : err;
    }
    return { status: 200, body: await overview(store, kind, s) };
  };
  const refuse = (): ApiResponse => {
    throw new MethodNotAllowedError('Method not allowed');
  };
  const common = { resourceType: `${kind.type}Overview` };
  const lists = { errorTitle: 'Could not retrieve resources', handle: list };
  const ones = { errorTitle: 'Could not retrieve a resource', handle: one };
  return [
    ...kind.collections.flatMap((c): ApiRoute[] => [
      { ...common, ...lists, method: 'GET', path: `/${c}/_overview` },
      { ...common, ...ones, method: 'GET', path: `/${c}/:name/_overview` },
    ]),
    { ...common, ...lists, method: 'GET', path: `/${kind.legacy}` },
    { ...common, ...ones, method: 'GET', path: `/${kind.legacy}/:name` },
    { ...common, method: 'PUT', path: `/${kind.legacy}/:name`, access: 'any', handle: refuse },
    { ...common, method: 'DELETE', path: `/${kind.legacy}/:name`, access: 'any', handle: refuse },
  ];
}

async function overview(store: Store, kind: OverviewKind, stored: StoredResource): Promise<Record<string, unknown>> {
  const r = stored.resource;
  let insight: Record<string, unknown> = {};
  try {
    insight = specOf((await store.get({ type: `${kind.type}Insight`, name: r.name })).resource);
  } catch (err) {
    if (!(isZonectlError(err) && err.code === 'not-found')) throw err;
  }
  const out: Record<string, unknown> = { type: `${kind.type}Overview`, name: r.name, creationTime: r.creationTime, modificationTime: r.modificationTime };
  if (r.labels !== undefined) out.labels = r.labels;
  out.kri = kriOf(kind.type, r.name);
  out[kind.key] = specOf(r);
  out[`${kind.key}Insight`] = insight;
  return out;
}
