/**
 * Warnings a PUT answers with (`{"warnings":[...]}`): the write is accepted, but something in it
 * is deprecated or will not do what it says. The deprecations are Kuma 2.14's, verbatim (each
 * kind's Deprecations() in kumahq/kuma v2.14.3, which its REST API returns as `warnings`).
 */
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Mesh and Zone names that are not DNS-1035 labels (put_meshes_04 golden). */
export function nameWarnings(type: string, name: string): string[] {
  if ((type !== 'Mesh' && type !== 'Zone') || (DNS_1035.test(name) && name.length <= 63)) return [];
  return [
    `Invalid ${type} resource name: '${name}'. It does not conform to the DNS format (RFC 1035). This is deprecated. Errors: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  ];
}

interface PolicySpec {
  targetRef?: { kind?: string };
  from?: Array<{ targetRef?: { kind?: string }; default?: { backends?: Backend[] } }>;
  to?: Array<{ default?: { backends?: Backend[] } }>;
  rules?: Array<{ default?: { backends?: Backend[] } }>;
}

interface Backend {
  openTelemetry?: { endpoint?: string; backendRef?: unknown };
}

/**
 * MeshTrafficPermission and MeshAccessLog: the `from` form, `MeshService` as a target (Kuma 3.0
 * drops them), and MeshAccessLog's inline OpenTelemetry endpoint.
 */
export function policyWarnings(resource: Record<string, unknown>): string[] {
  if (resource.type !== 'MeshTrafficPermission' && resource.type !== 'MeshAccessLog') return [];
  const spec = (resource.spec ?? {}) as PolicySpec;
  const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
  const from = list(spec.from);
  const out: string[] = [];
  if (resource.type === 'MeshTrafficPermission') {
    if (from.length > 0) out.push("'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead");
    for (const f of from) if (f?.targetRef?.kind === 'MeshService') out.push("MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead");
  } else {
    if (from.length > 0) out.push("'from' field is deprecated, use 'rules' instead");
    const inline = (b: Backend) => !!b?.openTelemetry?.endpoint && b.openTelemetry.backendRef === undefined;
    if ([...list(spec.to), ...from, ...list(spec.rules)].some((x) => list(x?.default?.backends).some(inline))) {
      out.push('openTelemetry.endpoint is deprecated, use openTelemetry.backendRef with a MeshOpenTelemetryBackend resource instead');
    }
  }
  if (spec.targetRef?.kind === 'MeshService') out.push("MeshService value for 'targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' tag instead");
  return out;
}

const SERVICE = 'kuma.io/service';
const ZONE = 'kuma.io/zone';

/**
 * Two ExternalServices of one mesh with the same `kuma.io/service` (and zones that overlap: no
 * zone tag means every zone): Kuma accepts both, and an egress can route the service's SNI to
 * one of them only. zonectl accepts too, but says which one the egress will use.
 */
export async function duplicateServiceWarnings(store: Store, resource: Resource): Promise<string[]> {
  if (resource.type !== 'ExternalService' || resource.mesh === undefined) return [];
  const tags = (resource.tags ?? {}) as Record<string, unknown>;
  const service = tags[SERVICE];
  if (typeof service !== 'string' || service === '') return [];
  const zone = (t: Record<string, unknown>) => (typeof t[ZONE] === 'string' && t[ZONE] !== '' ? t[ZONE] : undefined);
  const overlaps = (a: unknown, b: unknown) => a === undefined || b === undefined || a === b;
  const others = (await store.list({ type: 'ExternalService', mesh: resource.mesh })).items
    .map((i) => i.resource)
    .filter((es) => {
      const t = (es.tags ?? {}) as Record<string, unknown>;
      return es.name !== resource.name && t[SERVICE] === service && overlaps(zone(t), zone(tags));
    })
    .map((es) => es.name)
    .sort();
  if (others.length === 0) return [];
  // The snapshot generator keeps the first by name (src/control-plane/egress-config/generate.ts).
  const served = [...others, resource.name].sort()[0];
  const names = others.map((n) => `"${n}"`).join(', ');
  return [
    `kuma.io/service "${service}" is also the service of ExternalService ${names} in mesh "${resource.mesh}": an egress routes ${service} to one ExternalService only, "${served}" (the first by name), and skips the other${others.length > 1 ? 's' : ''}`,
  ];
}
