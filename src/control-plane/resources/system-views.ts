/**
 * Kuma's read-only system endpoints, computed from the kind registry and the store:
 * `/who-am-i`, `/_resources` (the kinds with their paths), `/config` (admin only, secrets
 * redacted), `/global-insight` (counts per kind; zones, egresses and ingresses with how many are
 * online) and `/mesh-insights[/{mesh}]`. A new kind shows up in `/_resources` and in
 * `global-insight.resources` without changes here.
 */
import { ForbiddenError, NotFoundError, UnauthorizedError, isZonectlError } from '../../core/errors.js';
import { kdsRule, readOnlyReason } from '../../resources/kds.js';
import { allKinds, type KindInfo } from '../../resources/kinds.js';
import type { Resource } from '../../resources/types.js';
import type { ApiContext, ApiRoute } from '../server/types.js';
import type { Store } from '../store/types.js';
import { kriOf } from './kri.js';
import { listBody, parsePage } from './view.js';

const ANONYMOUS = 'user "mesh-system:anonymous/mesh-system:unauthenticated"';

/** Kuma's REST path of a kind where it differs from zonectl's primary collection. */
const KUMA_PATHS: Record<string, string> = { GlobalSecret: 'globalsecrets' };
const SHORT_NAMES: Record<string, string> = { Mesh: 'm', ZoneEgress: 'ze', ZoneIngress: 'zi' };

export function systemViewsModule(ctx: ApiContext): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/who-am-i',
      // Kuma's user names (pkg/core/user): a direct localhost call or the admin token is the admin.
      handle: (req) => ({
        status: 200,
        body: req.isAdmin
          ? { name: 'mesh-system:admin', groups: ['mesh-system:admin', 'mesh-system:authenticated'] }
          : { name: 'mesh-system:anonymous', groups: ['mesh-system:unauthenticated'] },
      }),
    },
    { method: 'GET', path: '/_resources', handle: () => ({ status: 200, body: { resources: resourceTypes(ctx) } }) },
    {
      method: 'GET',
      path: '/config',
      handle(req) {
        if (!req.isAdmin && req.headers.authorization) {
          throw new UnauthorizedError('the admin token in the Authorization header is not valid; use the token from <data-dir>/admin-token of the control plane');
        }
        if (!req.isAdmin) throw new ForbiddenError(`${ANONYMOUS} cannot access control-plane metadata`);
        return { status: 200, body: controlPlaneConfig(ctx) };
      },
    },
    { method: 'GET', path: '/global-insight', handle: async () => ({ status: 200, body: await globalInsight(ctx) }) },
    {
      method: 'GET',
      path: '/mesh-insights',
      errorTitle: 'Could not retrieve resources',
      async handle(req) {
        const page = parsePage(req);
        const meshes = await ctx.store.list({ type: 'Mesh', nameContains: page.nameContains, offset: page.offset, size: page.size });
        const items = await Promise.all(meshes.items.map((m) => meshInsight(ctx, m.resource)));
        return { status: 200, body: listBody(req, page, meshes.total, items) };
      },
    },
    {
      method: 'GET',
      path: '/mesh-insights/:mesh',
      errorTitle: 'Could not retrieve a resource',
      async handle(req) {
        try {
          const mesh = await ctx.store.get({ type: 'Mesh', name: req.params.mesh });
          return { status: 200, body: await meshInsight(ctx, mesh.resource) };
        } catch (err) {
          throw isZonectlError(err) && err.code === 'not-found' ? new NotFoundError('Not found') : err;
        }
      },
    },
  ];
}

function words(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1 $2');
}

function plural(display: string): string {
  return /(s|sh|ch|x)$/.test(display) ? `${display}es` : `${display}s`;
}

/** Sorted by name, as Kuma's mappers.MapResourceTypeDescription. */
function resourceTypes(ctx: ApiContext): unknown[] {
  return allKinds()
    .map((k: KindInfo) => {
      const rule = kdsRule(k);
      return {
        name: k.type,
        readOnly: k.readOnly || readOnlyReason(ctx.mode, k) !== undefined || ctx.mode === 'zone',
        path: KUMA_PATHS[k.type] ?? k.collection,
        singularDisplayName: words(k.type),
        pluralDisplayName: plural(words(k.type)),
        scope: k.scope === 'mesh' ? 'Mesh' : 'Global',
        shortName: SHORT_NAMES[k.type] ?? '',
        includeInFederation: (rule.owner === 'global' || rule.acrossZones === true) && !k.readOnly,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const SECRET_KEY = /(key|token|secret|password|pem|cert)/i;

/** The settings this control plane runs with; anything that may hold a secret is `[redacted]`. */
function controlPlaneConfig(ctx: ApiContext): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx.options).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (typeof v === 'function') continue;
    options[k] = SECRET_KEY.test(k) && typeof v !== 'boolean' && typeof v !== 'number' ? '[redacted]' : v;
  }
  return { product: 'zonectl', version: ctx.version, mode: ctx.mode ?? 'standalone', zone: ctx.zone, instanceId: ctx.instanceId, options };
}

type Obj = Record<string, unknown>;

/** An insight is online when one of its subscriptions is connected and not disconnected. */
function isOnline(insight: Resource | undefined): boolean {
  const subs = Array.isArray(insight?.subscriptions) ? (insight.subscriptions as Obj[]) : [];
  return subs.some((s) => Boolean(s?.connectTime) && !s?.disconnectTime);
}

async function countWithInsights(store: Store, type: string, insightType: string): Promise<{ online: number; total: number }> {
  const [items, insights] = await Promise.all([store.list({ type }), store.list({ type: insightType })]);
  const online = new Set(insights.items.filter((i) => isOnline(i.resource)).map((i) => i.resource.name));
  return { total: items.total, online: items.items.filter((i) => online.has(i.resource.name)).length };
}

const fullStatus = () => ({ total: 0, online: 0, offline: 0, partiallyDegraded: 0 });

/** Kuma's GlobalInsight (openapi GlobalInsightBase) for what zonectl has. */
export async function globalInsight(ctx: ApiContext): Promise<Record<string, unknown>> {
  const store = ctx.store;
  const resources: Record<string, { total: number }> = {};
  for (const k of allKinds()) resources[k.type] = { total: (await store.list({ type: k.type, size: 0 })).total };
  const externalServices = (await store.list({ type: 'ExternalService' })).items.map((s) => s.resource);
  const services = new Set(externalServices.map((es) => `${es.mesh ?? ''}/${String((es.tags as Obj | undefined)?.['kuma.io/service'] ?? es.name)}`));
  // A global knows its zones (Zone resources); any other control plane is its own one.
  const zones = resources.Zone?.total ? await countWithInsights(store, 'Zone', 'ZoneInsight') : { online: 1, total: 1 };
  return {
    createdAt: ctx.clock.now().toISOString(),
    services: { total: services.size, internal: fullStatus(), external: { total: services.size }, gatewayBuiltin: fullStatus(), gatewayDelegated: fullStatus() },
    zones: {
      controlPlanes: zones,
      zoneEgresses: await countWithInsights(store, 'ZoneEgress', 'ZoneEgressInsight'),
      zoneIngresses: await countWithInsights(store, 'ZoneIngress', 'ZoneIngressInsight'),
    },
    dataplanes: { standard: fullStatus(), gatewayBuiltin: fullStatus(), gatewayDelegated: fullStatus() },
    policies: { total: 0 },
    meshes: { total: resources.Mesh?.total ?? 0 },
    resources,
  };
}

/** Kuma's MeshInsight for one mesh: its external services and mTLS backend; zonectl has no dataplanes. */
async function meshInsight(ctx: ApiContext, mesh: Resource): Promise<Record<string, unknown>> {
  const resources: Record<string, { total: number }> = {};
  for (const k of allKinds().filter((x) => x.scope === 'mesh')) resources[k.type] = { total: (await ctx.store.list({ type: k.type, mesh: mesh.name, size: 0 })).total };
  const mtls = (mesh.mtls ?? {}) as { enabledBackend?: string; backends?: { name?: string; type?: string }[] };
  const backend = mtls.backends?.find((b) => b.name === mtls.enabledBackend);
  const external = resources.ExternalService?.total ?? 0;
  return {
    type: 'MeshInsight',
    name: mesh.name,
    creationTime: mesh.creationTime,
    modificationTime: mesh.modificationTime,
    kri: kriOf('Mesh', mesh.name),
    lastSync: ctx.clock.now().toISOString(),
    dataplanes: fullStatus(),
    dataplanesByType: { standard: fullStatus(), gateway: fullStatus(), gatewayBuiltin: fullStatus(), gatewayDelegated: fullStatus() },
    policies: {},
    resources,
    dpVersions: { kumaDp: {}, envoy: {} },
    mTLS: { issuedBackends: {}, supportedBackends: backend?.type ? { [backend.type]: { total: 0, online: 0, offline: 0, partiallyDegraded: 0 } } : {} },
    services: { total: external, internal: 0, external },
  };
}
