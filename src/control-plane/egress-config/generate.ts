/**
 * The egress snapshot as a pure function of the store's contents, modelled on Kuma's egress
 * generator (reference/kuma-2.14/egress/egress-xds-legacy):
 * - only meshes with mTLS enabled (and an identity issued) take part;
 * - passthrough routes for every service that ZoneIngresses of *other* zones offer in a mesh
 *   with `routing.zoneEgress: true`, one endpoint per ingress (advertised address/port), weight =
 *   instances (entries of one ingress for the same service add up);
 * - terminating routes for every ExternalService of the mesh that lives in this zone (no
 *   `kuma.io/zone` tag, or this zone's); one in another zone is reached by passthrough through
 *   the ingresses of that zone that offer it (`externalService: true`), as in golden 06.
 * SNIs are Kuma's tag SNI without subset tags (`service{mesh=m}`): subsets need routing policies,
 * which zonectl does not have. Output order is deterministic and the version is a content hash.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalJson } from '../../core/canonical-json.js';
import { tagSni, type EgressRoute, type EgressSnapshot, type MeshIdentity, type PassthroughRoute, type TerminatingRoute, type UpstreamTls, type WeightedEndpoint } from '../../resources/egress-config.js';
import { pemProblem } from '../../resources/pem.js';
import type { Resource } from '../../resources/types.js';
import { resolveDataSourceSync, type SecretTable } from '../ca/data-source.js';
import { compileAccessLogs } from './access-logs.js';
import { routePermissions, type PolicyTarget } from './policies.js';

const SERVICE = 'kuma.io/service';
const ZONE = 'kuma.io/zone';

export interface EgressConfigInput {
  /** This control plane's zone. */
  zone: string;
  meshes: Resource[];
  zoneIngresses: Resource[];
  externalServices: Resource[];
  /** The egress identity per mesh; meshes without one are left out. */
  identities: ReadonlyMap<string, MeshIdentity>;
  /** GlobalSecrets (decoded) for `secret` data sources of ExternalService TLS. */
  secrets?: SecretTable;
  /** MeshTrafficPermissions of every mesh: compiled into the snapshot's permissions section. */
  trafficPermissions?: Resource[];
  /** MeshAccessLogs of every mesh: compiled into the snapshot's accessLog section (access-logs.ts). */
  accessLogs?: Resource[];
}

export interface GenerateResult {
  snapshot: EgressSnapshot;
  /** Problems with single resources that were skipped (logged by the caller). */
  warnings: string[];
}

type Tags = Record<string, string>;

interface AvailableService {
  tags?: Tags;
  instances?: number;
  mesh?: string;
  externalService?: boolean;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `host:port`, `[v6]:port`. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1], port } : undefined;
}

function ingressEndpoint(zi: Resource): { address: string; port: number } | undefined {
  const n = (zi.networking ?? {}) as Record<string, unknown>;
  const address = str(n.advertisedAddress) ?? str(n.address);
  const port = typeof n.advertisedPort === 'number' ? n.advertisedPort : typeof n.port === 'number' ? n.port : undefined;
  return address && port ? { address, port } : undefined;
}

function isLocal(es: Resource, zone: string): boolean {
  const z = ((es.tags ?? {}) as Tags)[ZONE];
  return z === undefined || z === '' || z === zone;
}

export function generateEgressSnapshot(input: EgressConfigInput): GenerateResult {
  const warnings: string[] = [];
  const routes = new Map<string, EgressRoute>();
  const meshes = input.meshes.filter((m) => input.identities.has(m.name));
  const zoneEgressMeshes = new Set(meshes.filter((m) => (m.routing as { zoneEgress?: unknown } | undefined)?.zoneEgress === true).map((m) => m.name));
  const secrets = input.secrets ?? new Map<string, string>();

  // Terminating routes first: a local ExternalService wins over an ingress that offers the same name.
  const localExternal = new Set<string>();
  // What the policies of each terminating route select on: the ExternalService's mesh and tags.
  const targets = new Map<string, PolicyTarget>();
  const externals = input.externalServices.filter((es) => es.mesh !== undefined && input.identities.has(es.mesh)).sort(byMeshName);
  for (const es of externals) {
    const mesh = es.mesh as string;
    const service = str(((es.tags ?? {}) as Tags)[SERVICE]);
    if (!service) {
      warnings.push(`ExternalService ${mesh}/${es.name}: no kuma.io/service tag, skipped`);
      continue;
    }
    if (!isLocal(es, input.zone)) continue;
    const sni = tagSni(service, mesh);
    localExternal.add(`${mesh}/${service}`);
    if (routes.has(sni)) {
      warnings.push(`ExternalService ${mesh}/${es.name}: service ${service} is already served by another ExternalService, skipped`);
      continue;
    }
    try {
      routes.set(sni, terminating(es, mesh, service, sni, secrets));
      targets.set(sni, { mesh, tags: { ...((es.tags ?? {}) as Tags) } });
    } catch (err) {
      warnings.push(`ExternalService ${mesh}/${es.name}: ${(err as Error).message}, skipped`);
    }
  }

  const ingresses = input.zoneIngresses.filter((zi) => str(zi.zone) !== undefined && zi.zone !== input.zone).sort(byMeshName);
  for (const zi of ingresses) {
    const ep = ingressEndpoint(zi);
    if (!ep) {
      warnings.push(`ZoneIngress ${zi.name}: no advertised address and port, skipped`);
      continue;
    }
    const offered = Array.isArray(zi.availableServices) ? (zi.availableServices as AvailableService[]) : [];
    for (const svc of offered) {
      const mesh = str(svc.mesh);
      const service = str(svc.tags?.[SERVICE]);
      const weight = typeof svc.instances === 'number' ? svc.instances : 0;
      if (!mesh || !service || weight <= 0 || !zoneEgressMeshes.has(mesh)) continue;
      if (svc.externalService === true && localExternal.has(`${mesh}/${service}`)) continue;
      const sni = tagSni(service, mesh);
      let route = routes.get(sni);
      if (route?.kind === 'terminating') continue;
      if (!route) {
        route = { kind: 'passthrough', sni, mesh, service, endpoints: [] } satisfies PassthroughRoute;
        routes.set(sni, route);
      }
      addEndpoint(route.endpoints, { address: ep.address, port: ep.port, weight, zone: String(zi.zone) });
    }
  }

  const sortedRoutes = [...routes.values()].sort((a, b) => cmp(a.mesh, b.mesh) || cmp(a.sni, b.sni));
  for (const r of sortedRoutes) if (r.kind === 'passthrough') r.endpoints.sort((a, b) => cmp(a.address, b.address) || a.port - b.port);
  const identities = [...input.identities.values()].filter((i) => meshes.some((m) => m.name === i.mesh)).sort((a, b) => cmp(a.mesh, b.mesh));
  const mtps = input.trafficPermissions ?? [];
  const permissions = {
    routes: sortedRoutes.flatMap((r) => {
      const target = targets.get(r.sni);
      const p = r.kind === 'terminating' && target ? routePermissions(r.sni, target, mtps) : undefined;
      return p ? [p] : [];
    }),
  };
  const accessLog = compileAccessLogs(sortedRoutes, targets, input.accessLogs ?? [], warnings);
  const body = { identities: identities.map(plainIdentity), routes: sortedRoutes, permissions, ...(accessLog ? { accessLog } : {}) };
  return { snapshot: { version: snapshotVersion(body), ...body }, warnings };
}

function plainIdentity(i: MeshIdentity): MeshIdentity {
  return { mesh: i.mesh, certPem: i.certPem, keyPem: i.keyPem, caPem: i.caPem };
}

function addEndpoint(list: WeightedEndpoint[], ep: WeightedEndpoint): void {
  const same = list.find((e) => e.address === ep.address && e.port === ep.port);
  if (same) same.weight += ep.weight;
  else list.push(ep);
}

function terminating(es: Resource, mesh: string, service: string, sni: string, secrets: SecretTable): TerminatingRoute {
  const networking = (es.networking ?? {}) as { address?: unknown; tls?: Record<string, unknown> };
  const hp = typeof networking.address === 'string' ? splitHostPort(networking.address) : undefined;
  if (!hp) throw new Error(`networking.address ${JSON.stringify(networking.address)} is not host:port`);
  const route: TerminatingRoute = { kind: 'terminating', sni, mesh, service, address: hp.host, port: hp.port };
  const t = networking.tls;
  if (t && t.enabled === true) {
    const tls: UpstreamTls = {};
    const serverName = str(t.serverName) ?? (isIP(hp.host) ? undefined : hp.host);
    if (serverName) tls.serverName = serverName;
    if (t.caCert) tls.caPem = resolvePem(t.caCert, 'networking.tls.caCert', secrets, 'certificate');
    if (t.clientCert) tls.certPem = resolvePem(t.clientCert, 'networking.tls.clientCert', secrets, 'certificate');
    if (t.clientKey) tls.keyPem = resolvePem(t.clientKey, 'networking.tls.clientKey', secrets, 'private-key');
    if (typeof t.allowRenegotiation === 'boolean') tls.allowRenegotiation = t.allowRenegotiation;
    route.tls = tls;
  }
  return route;
}

/**
 * Resolved TLS data that an egress could not use would get the whole snapshot rejected by every
 * egress; throwing here skips only this ExternalService (with a warning).
 */
function resolvePem(ds: unknown, field: string, secrets: SecretTable, kind: 'certificate' | 'private-key'): string {
  const text = resolveDataSourceSync(ds, field, secrets);
  const problem = pemProblem(text, kind);
  if (problem) throw new Error(`${field} ${problem}`);
  return text;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byMeshName(a: Resource, b: Resource): number {
  return cmp(a.mesh ?? '', b.mesh ?? '') || cmp(a.name, b.name);
}

/** Content hash of a snapshot body: equal content, equal version, across processes and instances. */
export function snapshotVersion(body: Omit<EgressSnapshot, 'version'>): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 32);
}
