/**
 * MeshAccessLog policies compiled into the egress snapshot's accessLog section.
 *
 * Kuma 2.14 does not apply MeshAccessLog to a standalone ZoneEgress at all: its plugin has no
 * EgressMatchedPolicies (pkg/plugins/policies/meshaccesslog/plugin/v1alpha1/plugin.go; only the
 * zone proxies' listeners, by `rules[].matches[].sni`). zonectl logs egress traffic, selecting the
 * policies the way Kuma's egress matcher selects every policy with both `from` and `to`
 * (pkg/plugins/policies/core/matchers/egress.go), plus what a sidecar would log:
 * - `from[]` entries of policies whose top-level targetRef selects the service (Mesh: every one;
 *   MeshService: its `kuma.io/service`; MeshSubset / MeshServiceSubset: its tags), policies in
 *   Kuma's merge order (policies.ts matchedPolicies);
 * - `to[]` entries that select the service (Mesh, MeshService by name, subsets by tags), of
 *   policies whose top-level targetRef is Mesh (every client: the egress cannot tell which sidecar
 *   a passthrough client is);
 * - `rules[]` whose matches name the route's SNI exactly, or that have no matches (every route);
 *   a rule matching on spiffeID only is skipped (the choice would be per connection).
 * The last applicable entry wins and its `backends` replace the earlier ones (Kuma merges `conf`
 * so; `backends: []` turns the log off). Routes: an ExternalService's tags (terminating), or
 * `kuma.io/service` (passthrough). Connections that match no route have no mesh: they go to the
 * backends of the mesh-wide (`targetRef: Mesh`) policies' `from` entries, of every mesh.
 * Backends: File (`/dev/stdout` = stdout), Tcp; OpenTelemetry is skipped with a warning.
 */
import type { AccessLogBackend, AccessLogFormat, EgressAccessLog, EgressRoute } from '../../resources/egress-config.js';
import type { Resource } from '../../resources/types.js';
import { matchedPolicies, selectsService, type PolicyTarget } from './policies.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const displayName = (p: Resource): string => p.labels?.['kuma.io/display-name'] ?? p.name;
const topKind = (p: Resource): string => {
  const k = obj(obj(p.spec)?.targetRef)?.kind;
  return typeof k === 'string' ? k : 'Mesh';
};

/** A backend as the snapshot carries it, before it is named. */
type Unnamed = { type: 'stdout'; format?: AccessLogFormat } | { type: 'file'; path: string; format?: AccessLogFormat } | { type: 'tcp'; address: string; format?: AccessLogFormat };

/** A usable format, undefined when absent, 'bad' when the egress could not use it (the backend is skipped). */
function format(v: unknown): AccessLogFormat | undefined | 'bad' {
  const f = obj(v);
  if (!f) return undefined;
  if (f.type === 'Plain') return typeof f.plain === 'string' && f.plain !== '' ? { type: 'Plain', plain: f.plain } : 'bad';
  if (f.type === 'Json' && Array.isArray(f.json)) {
    const json = f.json.flatMap((kv) => (typeof obj(kv)?.key === 'string' && typeof obj(kv)?.value === 'string' && obj(kv)!.key !== '' && obj(kv)!.value !== '' ? [{ key: obj(kv)!.key as string, value: obj(kv)!.value as string }] : []));
    return json.length && json.length === f.json.length ? { type: 'Json', json, ...(f.omitEmptyValues === true ? { omitEmptyValues: true } : {}) } : 'bad';
  }
  return 'bad';
}

const HOST_PORT = /^(\[[^\]]+\]|[^:[\]/]+):\d{1,5}$/;

/** A MeshAccessLog `default.backends` list as snapshot backends; undefined = the entry sets no backends. */
function backendsOf(conf: unknown, where: string, warnings: string[]): Unnamed[] | undefined {
  const list = obj(conf)?.backends;
  if (!Array.isArray(list)) return undefined;
  const out: Unnamed[] = [];
  list.forEach((b, i) => {
    const be = obj(b) ?? {};
    const at = `${where}.default.backends[${i}]`;
    const conf = obj(be.type === 'File' ? be.file : be.tcp);
    const f = format(conf?.format);
    if ((be.type === 'File' || be.type === 'Tcp') && f === 'bad') return void warnings.push(`${at}: a format the egress cannot use, skipped`);
    const fmt = f && f !== 'bad' ? { format: f } : {};
    if (be.type === 'File' && typeof conf?.path === 'string' && conf.path.startsWith('/')) {
      out.push(conf.path === '/dev/stdout' ? { type: 'stdout', ...fmt } : { type: 'file', path: conf.path, ...fmt });
    } else if (be.type === 'Tcp' && typeof conf?.address === 'string' && HOST_PORT.test(conf.address.replace(/^tcp:\/\//, ''))) {
      out.push({ type: 'tcp', address: conf.address.replace(/^tcp:\/\//, ''), ...fmt });
    } else if (be.type === 'File' || be.type === 'Tcp') {
      warnings.push(`${at}: ${be.type === 'File' ? 'not an absolute file path' : 'not host:port'}, skipped`);
    } else if (be.type === 'OpenTelemetry') {
      warnings.push(`${at}: OpenTelemetry backends are not supported by the zonectl egress, skipped`);
    }
  });
  return out;
}

/** The backends the policies give one route: the last applicable entry's. */
function routeBackends(route: EgressRoute, target: PolicyTarget, mals: Resource[], warnings: string[]): Unnamed[] {
  let winner: Unnamed[] = [];
  // Selected by the top-level targetRef, in merge order: `from` entries and rules.
  let sniRule: Unnamed[] | undefined;
  for (const p of matchedPolicies(mals, target)) {
    const spec = obj(p.spec) ?? {};
    arr(spec.from).forEach((f, i) => {
      const b = backendsOf(obj(f)?.default, `MeshAccessLog ${p.mesh}/${displayName(p)} spec.from[${i}]`, warnings);
      if (b) winner = b;
    });
    arr(spec.rules).forEach((r, i) => {
      const rule = obj(r) ?? {};
      const matches = arr(rule.matches);
      const bySni = matches.some((m) => obj(obj(m)?.sni)?.value === route.sni);
      if (matches.length > 0 && !bySni) return;
      const b = backendsOf(rule.default, `MeshAccessLog ${p.mesh}/${displayName(p)} spec.rules[${i}]`, warnings);
      if (!b) return;
      if (bySni) sniRule = b;
      else winner = b;
    });
  }
  // `to` entries of mesh-wide policies, most specific entry last.
  const to: Array<{ rank: number; backends: Unnamed[] }> = [];
  for (const p of matchedPolicies(mals, { mesh: target.mesh, tags: {} }).filter((x) => topKind(x) === 'Mesh')) {
    arr(obj(p.spec)?.to).forEach((t, i) => {
      const ref = obj(obj(t)?.targetRef);
      if (!selectsService(ref, target.tags)) return;
      const b = backendsOf(obj(t)?.default, `MeshAccessLog ${p.mesh}/${displayName(p)} spec.to[${i}]`, warnings);
      if (b) to.push({ rank: ref?.kind === 'Mesh' ? 0 : 1, backends: b });
    });
  }
  to.sort((a, b) => a.rank - b.rank);
  for (const t of to) winner = t.backends;
  return sniRule ?? winner;
}

/** The accessLog section for these routes; undefined when no MeshAccessLog logs anything. */
export function compileAccessLogs(routes: EgressRoute[], targets: ReadonlyMap<string, PolicyTarget>, mals: Resource[], warningsOut: string[]): EgressAccessLog | undefined {
  if (mals.length === 0) return undefined;
  const warnings: string[] = [];
  const names = new Map<string, string>();
  const backends: AccessLogBackend[] = [];
  const nameOf = (b: Unnamed): string => {
    const key = JSON.stringify(b);
    let name = names.get(key);
    if (name) return name;
    const base = b.type === 'stdout' ? 'stdout' : b.type === 'file' ? `file:${b.path}` : `tcp:${b.address}`;
    name = base;
    for (let n = 2; backends.some((x) => x.name === name); n++) name = `${base}#${n}`;
    names.set(key, name);
    backends.push({ name, ...b } as AccessLogBackend);
    return name;
  };
  const section: EgressAccessLog = { backends, routes: [], unrouted: [] };
  for (const r of routes) {
    const target = targets.get(r.sni) ?? { mesh: r.mesh, tags: { 'kuma.io/service': r.service } };
    const list = routeBackends(r, target, mals, warnings);
    if (list.length) section.routes.push({ sni: r.sni, backends: [...new Set(list.map(nameOf))] });
  }
  // Unrouted: the mesh-wide policies' `from` entries, of every mesh.
  const meshes = [...new Set(mals.map((p) => p.mesh ?? ''))].sort();
  const unrouted = new Set<string>();
  for (const mesh of meshes) {
    let winner: Unnamed[] = [];
    for (const p of matchedPolicies(mals, { mesh, tags: {} }).filter((x) => topKind(x) === 'Mesh')) {
      for (const f of arr(obj(p.spec)?.from)) winner = backendsOf(obj(f)?.default, '', []) ?? winner;
    }
    for (const b of winner) unrouted.add(nameOf(b));
  }
  section.unrouted = [...unrouted];
  warningsOut.push(...new Set(warnings));
  if (backends.length === 0) return undefined;
  backends.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return section;
}
