/**
 * Turns an EgressSnapshot into the immutable table the data path reads: routes by SNI, weighted
 * pickers, one TLS server context per mesh identity, TLS origination contexts. Compiling is also
 * validating: what does not compile is reported with its field path (see compileSnapshot).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { upstreamSettingsProblems } from './upstream-timers.js';
import type { EgressRoute, EgressSnapshot, MeshIdentity, PassthroughRoute, TerminatingRoute, UpstreamTls, WeightedEndpoint } from '../resources/egress-config.js';
import { checkAccessLog } from './access-log-format.js';
import type { RouteCounters } from './metrics.js';
import { checkPermissions, compilePermissions, RouteAuthz } from './permissions.js';

export interface CompiledEndpoint extends WeightedEndpoint {
  /** `address:port`, the endpoint's name in stats. */
  key: string;
  /** 4 or 6 for an IP address, 0 for a host name (resolved per connection). */
  family: number;
}

export interface CompiledPassthrough {
  kind: 'passthrough';
  route: PassthroughRoute;
  endpoints: CompiledEndpoint[];
  /** Cumulative weights, for a binary-search-free linear pick (endpoint lists are short). */
  cumulative: number[];
  totalWeight: number;
  /** The route's counters, attached by EgressMetrics.syncRoutes when the table goes in force. */
  stats?: RouteCounters;
}

export interface CompiledTerminating {
  kind: 'terminating';
  route: TerminatingRoute;
  identity: tls.SecureContext;
  /** Options for tls.connect toward the external service, when it asks for TLS. */
  origination?: tls.ConnectionOptions;
  /** Who may use the route (MeshTrafficPermission); set by compileSnapshot. */
  authz: RouteAuthz;
  /** The route's counters, attached by EgressMetrics.syncRoutes when the table goes in force. */
  stats?: RouteCounters;
}

export type CompiledRoute = CompiledPassthrough | CompiledTerminating;

export interface RouteTable {
  snapshot: EgressSnapshot;
  routes: Map<string, CompiledRoute>;
  /** Server contexts by mesh: the egress identity plus the mesh CA for client certificates. */
  identities: Map<string, tls.SecureContext>;
}

/** Random weighted choice; `random` is injectable so tests can pin it. */
export function pickEndpoint(r: CompiledPassthrough, random: () => number = Math.random): number {
  const x = random() * r.totalWeight;
  const c = r.cumulative;
  for (let i = 0; i < c.length; i++) if (x < c[i]) return i;
  return c.length - 1;
}

class Problems {
  readonly list: string[] = [];
  add(path: string, msg: string): void {
    this.list.push(`${path}: ${msg}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;

function checkPem(p: Problems, path: string, pem: unknown, what: 'cert' | 'key' | 'ca'): void {
  if (!isNonEmpty(pem)) return p.add(path, 'must be a non-empty PEM string');
  if (what === 'key') {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) p.add(path, 'is not a PEM private key');
    return;
  }
  try {
    new X509Certificate(pem);
  } catch {
    p.add(path, 'is not a PEM certificate');
  }
}

function compileIdentity(p: Problems, path: string, id: MeshIdentity): tls.SecureContext | undefined {
  if (!isObj(id) || !isNonEmpty(id.mesh)) {
    p.add(`${path}.mesh`, 'must be a non-empty string');
    return undefined;
  }
  const before = p.list.length;
  checkPem(p, `${path}.certPem`, id.certPem, 'cert');
  checkPem(p, `${path}.keyPem`, id.keyPem, 'key');
  checkPem(p, `${path}.caPem`, id.caPem, 'ca');
  if (p.list.length > before) return undefined;
  try {
    return tls.createSecureContext({ cert: id.certPem, key: id.keyPem, ca: id.caPem });
  } catch (err) {
    p.add(path, `the identity certificate and key do not form a usable TLS context (${(err as Error).message})`);
    return undefined;
  }
}

function compilePassthrough(p: Problems, path: string, r: PassthroughRoute): CompiledPassthrough | undefined {
  if (!Array.isArray(r.endpoints) || r.endpoints.length === 0) {
    p.add(`${path}.endpoints`, 'must list at least one endpoint (a zone ingress offering the service)');
    return undefined;
  }
  const endpoints: CompiledEndpoint[] = [];
  const cumulative: number[] = [];
  let total = 0;
  r.endpoints.forEach((e, i) => {
    const ep = `${path}.endpoints[${i}]`;
    if (!isObj(e)) return p.add(ep, 'must be an object');
    if (!isNonEmpty(e.address)) p.add(`${ep}.address`, 'must be a non-empty host name or IP');
    if (!isPort(e.port)) p.add(`${ep}.port`, 'must be an integer port in 1-65535');
    if (typeof e.weight !== 'number' || !Number.isFinite(e.weight) || e.weight <= 0) p.add(`${ep}.weight`, 'must be a number > 0 (the instances behind that ingress)');
    total += e.weight;
    cumulative.push(total);
    endpoints.push({ ...e, key: `${e.address}:${e.port}`, family: isIP(e.address) });
  });
  return { kind: 'passthrough', route: r, endpoints, cumulative, totalWeight: total };
}

function compileTerminating(p: Problems, path: string, r: TerminatingRoute, identities: Map<string, tls.SecureContext>): CompiledTerminating | undefined {
  if (!isNonEmpty(r.address)) p.add(`${path}.address`, 'must be a non-empty host name or IP');
  if (!isPort(r.port)) p.add(`${path}.port`, 'must be an integer port in 1-65535');
  const identity = identities.get(r.mesh);
  if (!identity) p.add(`${path}.mesh`, `no identity for mesh '${r.mesh}' (add one under identities)`);
  let origination: tls.ConnectionOptions | undefined;
  if (r.tls !== undefined) {
    const t: UpstreamTls = r.tls;
    if (!isObj(r.tls)) {
      p.add(`${path}.tls`, 'must be an object');
      return undefined;
    }
    if (t.caPem !== undefined) checkPem(p, `${path}.tls.caPem`, t.caPem, 'ca');
    if ((t.certPem === undefined) !== (t.keyPem === undefined)) p.add(`${path}.tls`, 'certPem and keyPem go together');
    if (t.certPem !== undefined) checkPem(p, `${path}.tls.certPem`, t.certPem, 'cert');
    if (t.keyPem !== undefined) checkPem(p, `${path}.tls.keyPem`, t.keyPem, 'key');
    const serverName = t.serverName ?? (isIP(r.address) ? undefined : r.address);
    origination = {
      host: r.address,
      port: r.port,
      servername: serverName,
      ca: t.caPem,
      cert: t.certPem,
      key: t.keyPem,
      rejectUnauthorized: true,
      ...(t.verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  if (!identity) return undefined;
  // Replaced by compileSnapshot once every route is known; until then nobody is allowed.
  return { kind: 'terminating', route: r, identity, origination, authz: new RouteAuthz(r.sni, r.mesh, undefined, true) };
}

export type CompileResult = { table: RouteTable; skipped: string[] } | { problems: string[] };

/**
 * Compiles a snapshot. A snapshot whose shape is wrong is unusable: `problems`. Otherwise each
 * identity and route stands alone: one that does not compile is left out of the table and its
 * reasons (field paths first) are listed in `skipped`, so one bad route cannot hold back the
 * rest. Callers that want all or nothing (a routes file) treat `skipped` as problems.
 */
export function compileSnapshot(s: EgressSnapshot): CompileResult {
  const p = new Problems();
  if (!isObj(s)) return { problems: ['snapshot: must be an object with version, identities and routes'] };
  if (!isNonEmpty(s.version)) p.add('version', 'must be a non-empty string');
  if (!Array.isArray(s.identities)) p.add('identities', 'must be a list');
  if (!Array.isArray(s.routes)) p.add('routes', 'must be a list');
  p.list.push(...upstreamSettingsProblems(s.upstream));
  if (p.list.length) return { problems: p.list };
  const skipped: string[] = [];
  const identities = new Map<string, tls.SecureContext>();
  s.identities.forEach((id, i) => {
    const ip = new Problems();
    if (isObj(id) && identities.has(id.mesh)) ip.add(`identities[${i}].mesh`, `duplicate identity for mesh '${id.mesh}'`);
    const ctx = ip.list.length ? undefined : compileIdentity(ip, `identities[${i}]`, id);
    if (ctx && ip.list.length === 0) identities.set(id.mesh, ctx);
    skipped.push(...ip.list);
  });
  const routes = new Map<string, CompiledRoute>();
  const seen = new Set<string>();
  s.routes.forEach((r: EgressRoute, i) => {
    const path = `routes[${i}]`;
    const rp = new Problems();
    let c: CompiledRoute | undefined;
    if (!isObj(r)) rp.add(path, 'must be an object');
    else if (!isNonEmpty(r.sni)) rp.add(`${path}.sni`, 'must be a non-empty string');
    else if (seen.has(r.sni)) rp.add(`${path}.sni`, `duplicate route for SNI '${r.sni}'`);
    else {
      seen.add(r.sni);
      if (!isNonEmpty(r.mesh)) rp.add(`${path}.mesh`, 'must be a non-empty string');
      if (r.kind === 'passthrough') c = compilePassthrough(rp, path, r);
      else if (r.kind === 'terminating') c = compileTerminating(rp, path, r, identities);
      else rp.add(`${path}.kind`, "must be 'passthrough' or 'terminating'");
    }
    if (c && rp.list.length === 0) routes.set(r.sni, c);
    skipped.push(...rp.list);
  });
  // Permissions are all or nothing: a broken section would leave the routes open or shut at
  // random, so the snapshot is rejected and the previous one stays.
  const declared = new Map<string, string>();
  for (const r of s.routes) if (isObj(r) && r.kind === 'terminating' && isNonEmpty(r.sni)) declared.set(r.sni, r.mesh);
  const permissionProblems = checkPermissions(s.permissions, declared);
  if (permissionProblems.length) return { problems: permissionProblems };
  const accessLogProblems = checkAccessLog(s.accessLog);
  if (accessLogProblems.length) return { problems: accessLogProblems };
  const terminating = new Map<string, string>();
  for (const c of routes.values()) if (c.kind === 'terminating') terminating.set(c.route.sni, c.route.mesh);
  const authz = compilePermissions(s.permissions, terminating);
  for (const c of routes.values()) if (c.kind === 'terminating') c.authz = authz.get(c.route.sni)!;
  return { table: { snapshot: s, routes, identities }, skipped };
}

/** The snapshot as /config_dump shows it: every private key replaced. */
export function redactSnapshot(s: EgressSnapshot): EgressSnapshot {
  return {
    version: s.version,
    identities: s.identities.map((id) => ({ ...id, keyPem: '[redacted]' })),
    routes: s.routes.map((r) => (r.kind === 'terminating' && r.tls?.keyPem ? { ...r, tls: { ...r.tls, keyPem: '[redacted]' } } : r)),
    ...(s.upstream ? { upstream: s.upstream } : {}),
    ...(s.permissions ? { permissions: s.permissions } : {}),
    ...(s.accessLog ? { accessLog: s.accessLog } : {}),
  };
}
