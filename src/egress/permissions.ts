/**
 * MeshTrafficPermission on the egress: who may use a terminating route (an ExternalService), from
 * the verified client certificate alone. The control plane has already selected and ordered the
 * policies of each route (src/resources/egress-config.ts RoutePermissions); this module decides
 * per connection, as Kuma's RBAC filters do on the egress's filter chains:
 * - `from` form: the last entry that selects the client decides; no entry selects it = deny;
 * - `rules` form: a deny match denies, then allowWithShadowDeny / allow, else deny;
 * - a route without an entry while the snapshot has a permissions section: deny (Kuma 2.14:
 *   mTLS on and no MeshTrafficPermission = deny); no permissions section at all: not enforced.
 *
 * The client's identity is its certificate's URI SANs: `spiffe://<mesh>/<service>` per service and
 * `kuma://<tag>/<value>` per other tag (what Kuma's CA puts in a sidecar certificate, and what its
 * RBAC principals match). Decisions are cached per route and SAN string: clients of one service
 * share one certificate shape, so a connection costs a Map lookup.
 */
import type { EgressPermissions, PermissionFrom, PermissionMatch, RoutePermissions } from '../resources/egress-config.js';

export type DecisionAction = 'allow' | 'deny' | 'shadow-deny';
export const DECISION_ACTIONS: DecisionAction[] = ['allow', 'deny', 'shadow-deny'];

export interface Decision {
  action: DecisionAction;
  /** The MeshTrafficPermission that decided; undefined when none did (default deny, or not enforced). */
  policy: string | undefined;
  /** Why, in words (access log, debug log). */
  reason: string;
}

const NOT_ENFORCED: Decision = { action: 'allow', policy: undefined, reason: 'not enforced (no permissions section)' };
const NO_POLICY: Decision = { action: 'deny', policy: undefined, reason: 'no MeshTrafficPermission selects this service (default deny with mTLS)' };
const NO_MATCH: Decision = { action: 'deny', policy: undefined, reason: 'no MeshTrafficPermission entry selects this client' };

/** Decisions kept per route; a flood of distinct certificates only clears the cache. */
const CACHE_MAX = 1024;

/** The client's identity as a set of URI SANs (`spiffe://m/web`, `kuma://version/v1`). */
export function sanUris(subjectaltname: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!subjectaltname) return out;
  for (const part of subjectaltname.split(', ')) {
    if (!part.startsWith('URI:')) continue;
    // node quotes a SAN that contains a comma or a quote as a JSON string.
    const v = part.slice(4);
    out.add(v.startsWith('"') ? safeJson(v) : v);
  }
  return out;
}

function safeJson(v: string): string {
  try {
    return String(JSON.parse(v));
  } catch {
    return v;
  }
}

/** The first `spiffe://<mesh>/...` SAN: the identity logged for a client. */
export function spiffeOf(uris: Set<string>, mesh: string): string | undefined {
  const prefix = `spiffe://${mesh}/`;
  for (const u of uris) if (u.startsWith(prefix)) return u;
  return undefined;
}

export class RouteAuthz {
  private readonly cache = new Map<string, Decision>();

  constructor(
    readonly sni: string,
    readonly mesh: string,
    private readonly perms: RoutePermissions | undefined,
    private readonly enforced: boolean,
  ) {}

  /** Decides for a client certificate's `subjectaltname` (as node reports it). */
  decide(subjectaltname: string | undefined): Decision {
    if (!this.enforced) return NOT_ENFORCED;
    const key = subjectaltname ?? '';
    let d = this.cache.get(key);
    if (d === undefined) {
      d = this.evaluate(sanUris(subjectaltname));
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(key, d);
    }
    return d;
  }

  private evaluate(uris: Set<string>): Decision {
    const p = this.perms;
    if (!p || (!p.rules && !p.from?.length)) return NO_POLICY;
    if (p.rules) return this.evaluateRules(uris);
    let last: PermissionFrom | undefined;
    for (const f of p.from!) if (selects(f, uris, this.mesh)) last = f;
    if (!last) return NO_MATCH;
    const action: DecisionAction = last.action === 'Allow' ? 'allow' : last.action === 'Deny' ? 'deny' : 'shadow-deny';
    return { action, policy: last.policy, reason: `MeshTrafficPermission ${last.policy}: ${last.action} from ${describeFrom(last)}` };
  }

  private evaluateRules(uris: Set<string>): Decision {
    const r = this.perms!.rules!;
    const hit = (list: PermissionMatch[] | undefined) => list?.find((m) => matches(m, uris, this.sni));
    const deny = hit(r.deny);
    if (deny) return { action: 'deny', policy: deny.policy, reason: `MeshTrafficPermission ${deny.policy}: deny ${describeMatch(deny)}` };
    const shadow = hit(r.allowWithShadowDeny);
    if (shadow) return { action: 'shadow-deny', policy: shadow.policy, reason: `MeshTrafficPermission ${shadow.policy}: allowWithShadowDeny ${describeMatch(shadow)}` };
    const allow = hit(r.allow);
    if (allow) return { action: 'allow', policy: allow.policy, reason: `MeshTrafficPermission ${allow.policy}: allow ${describeMatch(allow)}` };
    return NO_MATCH;
  }
}

function hasTag(uris: Set<string>, mesh: string, key: string, value: string): boolean {
  if (key === 'kuma.io/service') {
    if (value !== '*') return uris.has(`spiffe://${mesh}/${value}`);
    for (const u of uris) if (u.startsWith(`spiffe://${mesh}/`)) return true;
    return false;
  }
  if (value !== '*') return uris.has(`kuma://${key}/${value}`);
  for (const u of uris) if (u.startsWith(`kuma://${key}/`)) return true;
  return false;
}

function selects(f: PermissionFrom, uris: Set<string>, mesh: string): boolean {
  if ((f.kind === 'MeshService' || f.kind === 'MeshServiceSubset') && !hasTag(uris, mesh, 'kuma.io/service', f.name ?? '')) return false;
  if (f.kind === 'MeshSubset' || f.kind === 'MeshServiceSubset') {
    for (const [k, v] of Object.entries(f.tags ?? {})) if (!hasTag(uris, mesh, k, v)) return false;
  }
  return true;
}

function matches(m: PermissionMatch, uris: Set<string>, sni: string): boolean {
  if (m.sni !== undefined && m.sni !== sni) return false;
  if (m.spiffeId) {
    const { type, value } = m.spiffeId;
    let ok = false;
    for (const u of uris) if (type === 'Exact' ? u === value : u.startsWith(value)) ok = true;
    if (!ok) return false;
  }
  return true;
}

function describeFrom(f: PermissionFrom): string {
  const tags = Object.entries(f.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  switch (f.kind) {
    case 'Mesh':
      return 'the whole mesh';
    case 'MeshService':
      return `service ${f.name}`;
    case 'MeshSubset':
      return `clients tagged ${tags.join(',')}`;
    case 'MeshServiceSubset':
      return `service ${f.name} tagged ${tags.join(',')}`;
  }
}

function describeMatch(m: PermissionMatch): string {
  const parts: string[] = [];
  if (m.spiffeId) parts.push(`spiffeID ${m.spiffeId.type === 'Prefix' ? 'prefix ' : ''}${m.spiffeId.value}`);
  if (m.sni !== undefined) parts.push(`sni ${m.sni}`);
  return parts.length ? parts.join(' and ') : 'any client';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const FROM_KINDS = new Set(['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset']);
const ACTIONS = new Set(['Allow', 'Deny', 'AllowWithShadowDeny']);

/**
 * Checks the permissions section of a snapshot; returns `path: message` problems. `terminating`
 * maps the SNI of every terminating route to its mesh.
 */
export function checkPermissions(p: EgressPermissions | undefined, terminating: ReadonlyMap<string, string>): string[] {
  if (p === undefined) return [];
  const out: string[] = [];
  if (!isObj(p) || !Array.isArray(p.routes)) return ['permissions.routes: must be a list'];
  const seen = new Set<string>();
  p.routes.forEach((r, i) => {
    const at = `permissions.routes[${i}]`;
    if (!isObj(r) || typeof r.sni !== 'string') return out.push(`${at}.sni: must be the SNI of a terminating route`);
    if (!terminating.has(r.sni)) out.push(`${at}.sni: no terminating route has SNI '${r.sni}' (permissions apply to external services only)`);
    if (seen.has(r.sni)) out.push(`${at}.sni: duplicate entry for SNI '${r.sni}'`);
    seen.add(r.sni);
    if (r.from !== undefined && !Array.isArray(r.from)) out.push(`${at}.from: must be a list`);
    (Array.isArray(r.from) ? r.from : []).forEach((f, j) => {
      const fa = `${at}.from[${j}]`;
      if (!isObj(f)) return out.push(`${fa}: must be an object`);
      if (!FROM_KINDS.has(f.kind as string)) out.push(`${fa}.kind: must be Mesh, MeshSubset, MeshService or MeshServiceSubset`);
      if (!ACTIONS.has(f.action as string)) out.push(`${fa}.action: must be Allow, Deny or AllowWithShadowDeny`);
      if ((f.kind === 'MeshService' || f.kind === 'MeshServiceSubset') && (typeof f.name !== 'string' || f.name === '')) out.push(`${fa}.name: the client service is required with kind ${String(f.kind)}`);
      if (f.tags !== undefined && !isObj(f.tags)) out.push(`${fa}.tags: must be a map of tag to value`);
    });
    if (r.rules !== undefined) {
      if (!isObj(r.rules)) return out.push(`${at}.rules: must be an object with allow, deny or allowWithShadowDeny`);
      for (const key of ['deny', 'allow', 'allowWithShadowDeny'] as const) {
        const list = r.rules[key];
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
          out.push(`${at}.rules.${key}: must be a list`);
          continue;
        }
        list.forEach((m, j) => {
          const ma = `${at}.rules.${key}[${j}]`;
          if (!isObj(m)) return out.push(`${ma}: must be an object`);
          if (m.spiffeId !== undefined && (!isObj(m.spiffeId) || (m.spiffeId.type !== 'Exact' && m.spiffeId.type !== 'Prefix') || typeof m.spiffeId.value !== 'string')) {
            out.push(`${ma}.spiffeId: must be {type: Exact|Prefix, value}`);
          }
          if (m.sni !== undefined && typeof m.sni !== 'string') out.push(`${ma}.sni: must be a string`);
        });
      }
    }
  });
  return out;
}

/** The authorizer of every terminating route of a checked snapshot (by SNI). */
export function compilePermissions(p: EgressPermissions | undefined, terminating: ReadonlyMap<string, string>): Map<string, RouteAuthz> {
  const bySni = new Map((p?.routes ?? []).map((r) => [r.sni, r]));
  const out = new Map<string, RouteAuthz>();
  for (const [sni, mesh] of terminating) out.set(sni, new RouteAuthz(sni, mesh, bySni.get(sni), p !== undefined));
  return out;
}
