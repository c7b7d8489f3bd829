/**
 * Targetref policies compiled for the egress, as Kuma 2.14 matches them on a ZoneEgress
 * (pkg/plugins/policies/core/matchers/egress.go): a policy applies to an external service when its
 * top-level targetRef selects the service's tags (absent or Mesh: all; MeshService: the
 * `kuma.io/service`; MeshSubset: tags; MeshServiceSubset: both); the matched policies are ordered
 * by targetRef kind (Mesh first, most specific last) and then by name, later names first, so
 * that the most specific policy, and among equals the lexicographically smallest name, merges last
 * and wins (SortByTargetRef).
 */
import type { PermissionFrom, PermissionMatch, RoutePermissions } from '../../resources/egress-config.js';
import type { Resource } from '../../resources/types.js';

type Tags = Record<string, string>;
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const SERVICE = 'kuma.io/service';

/** Kuma's TargetRefKind order: a higher rank is more specific. */
const RANK: Record<string, number> = { Mesh: 1, Dataplane: 2, MeshSubset: 3, MeshGateway: 4, MeshService: 5, MeshExternalService: 6, MeshMultiZoneService: 7, MeshServiceSubset: 8, MeshHTTPRoute: 9 };

/** A service of the egress a policy may select: its mesh and tags (an ExternalService's). */
export interface PolicyTarget {
  mesh: string;
  tags: Tags;
}

function tagsMatch(selector: Tags, tags: Tags): boolean {
  return Object.entries(selector).every(([k, v]) => (v === '*' ? tags[k] !== undefined : tags[k] === v));
}

/** serviceSelectedByTargetRef: does a targetRef select a service with these tags? */
export function selectsService(ref: unknown, tags: Tags): boolean {
  const r = obj(ref);
  const kind = typeof r?.kind === 'string' ? r.kind : 'Mesh';
  const selector = (obj(r?.tags) ?? {}) as Tags;
  switch (kind) {
    case 'Mesh':
      return true;
    case 'MeshSubset':
      return tagsMatch(selector, tags);
    case 'MeshService':
      return r?.name === tags[SERVICE];
    case 'MeshServiceSubset':
      return r?.name === tags[SERVICE] && tagsMatch(selector, tags);
    default:
      return false;
  }
}

/** Kuma's GetDisplayName: a policy synced from the global keeps its name in a label (the stored name is hashed). */
const displayName = (p: Resource): string => p.labels?.['kuma.io/display-name'] ?? p.name;

const kindOf = (p: Resource): string => {
  const k = obj(obj(p.spec)?.targetRef)?.kind;
  return typeof k === 'string' ? k : 'Mesh';
};

/** The policies of `type` that apply to a target, in merge order (the last one wins). */
export function matchedPolicies(policies: Resource[], target: PolicyTarget): Resource[] {
  return policies
    .filter((p) => p.mesh === target.mesh && selectsService(obj(p.spec)?.targetRef, target.tags))
    .sort((a, b) => {
      const [x, y] = [displayName(a), displayName(b)];
      return (RANK[kindOf(a)] ?? 0) - (RANK[kindOf(b)] ?? 0) || (x < y ? 1 : x > y ? -1 : 0);
    });
}

function toMatch(policy: string, m: unknown): PermissionMatch {
  const match = obj(m) ?? {};
  const out: PermissionMatch = { policy };
  const spiffe = obj(match.spiffeID);
  if (spiffe && typeof spiffe.value === 'string') out.spiffeId = { type: spiffe.type === 'Prefix' ? 'Prefix' : 'Exact', value: spiffe.value };
  const sni = obj(match.sni);
  if (sni && typeof sni.value === 'string') out.sni = sni.value;
  return out;
}

/**
 * The permissions of one terminating route from the store's MeshTrafficPermissions; undefined
 * when none applies (the egress then denies every client, as Kuma does with mTLS on).
 */
export function routePermissions(sni: string, target: PolicyTarget, mtps: Resource[]): RoutePermissions | undefined {
  const matched = matchedPolicies(mtps, target);
  if (matched.length === 0) return undefined;
  const from: PermissionFrom[] = [];
  const rules = { deny: [] as PermissionMatch[], allow: [] as PermissionMatch[], allowWithShadowDeny: [] as PermissionMatch[] };
  let hasRules = false;
  for (const p of matched) {
    const spec = obj(p.spec) ?? {};
    for (const item of arr(spec.from)) {
      const f = obj(item) ?? {};
      const ref = obj(f.targetRef) ?? {};
      const action = obj(f.default)?.action;
      if (action !== 'Allow' && action !== 'Deny' && action !== 'AllowWithShadowDeny') continue;
      const kind = ref.kind;
      if (kind !== 'Mesh' && kind !== 'MeshSubset' && kind !== 'MeshService' && kind !== 'MeshServiceSubset') continue;
      const entry: PermissionFrom = { policy: displayName(p), kind, action };
      if ((kind === 'MeshService' || kind === 'MeshServiceSubset') && typeof ref.name === 'string') entry.name = ref.name;
      if ((kind === 'MeshSubset' || kind === 'MeshServiceSubset') && obj(ref.tags)) entry.tags = { ...(ref.tags as Tags) };
      from.push(entry);
    }
    for (const item of arr(spec.rules)) {
      const d = obj(obj(item)?.default) ?? {};
      for (const key of ['deny', 'allow', 'allowWithShadowDeny'] as const) {
        for (const m of arr(d[key])) {
          rules[key].push(toMatch(displayName(p), m));
          hasRules = true;
        }
      }
    }
  }
  const out: RoutePermissions = { sni };
  if (from.length) out.from = from;
  if (hasRules) {
    out.rules = {};
    for (const key of ['deny', 'allow', 'allowWithShadowDeny'] as const) if (rules[key].length) out.rules[key] = rules[key];
  }
  return out.from || out.rules ? out : undefined;
}
