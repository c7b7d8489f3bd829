/**
 * The egress admin API (Envoy-like paths, loopback by default): /ready, /stats, /stats/prometheus,
 * /config_dump, /clusters. Read-only: nothing here changes the proxy.
 */
import http from 'node:http';
import type { EgressSnapshot } from '../resources/egress-config.js';
import type { EgressMetrics } from './metrics.js';
import { redactSnapshot, type RouteTable } from './route-table.js';

export type ReadyState = 'READY' | 'INITIALIZING' | 'TERMINATING';

export interface AdminSource {
  state(): ReadyState;
  table(): RouteTable | undefined;
  metrics: EgressMetrics;
  appliedAt(): Date | undefined;
  lastRejection(): { version: string; reason: string } | undefined;
}

export interface ClusterEndpoint {
  address: string;
  port: number;
  weight?: number;
  zone?: string;
  healthy: boolean;
  active: number;
  total: number;
  connectFailures: number;
}

export interface ClusterInfo {
  sni: string;
  kind: 'passthrough' | 'terminating';
  mesh: string;
  service: string;
  endpoints: ClusterEndpoint[];
}

export function clusters(src: AdminSource): ClusterInfo[] {
  const t = src.table();
  if (!t) return [];
  return [...t.routes.values()].map((c) => {
    const r = c.route;
    const eps =
      c.kind === 'passthrough'
        ? c.endpoints.map((e) => ({ address: e.address, port: e.port, weight: e.weight, zone: e.zone }))
        : [{ address: c.route.address, port: c.route.port, weight: undefined, zone: undefined }];
    return {
      sni: r.sni,
      kind: c.kind,
      mesh: r.mesh,
      service: r.service,
      endpoints: eps.map((e) => {
        const s = src.metrics.endpoints.get(`${r.sni}::${e.address}:${e.port}`);
        return { ...e, healthy: s?.healthy ?? true, active: s?.active ?? 0, total: s?.total ?? 0, connectFailures: s?.connectFailures ?? 0 };
      }),
    };
  });
}

export function configDump(src: AdminSource): { version: string | null; appliedAt: string | null; lastRejected: { version: string; reason: string } | null; snapshot: EgressSnapshot | null } {
  const t = src.table();
  return {
    version: t?.snapshot.version ?? null,
    appliedAt: src.appliedAt()?.toISOString() ?? null,
    lastRejected: src.lastRejection() ?? null,
    snapshot: t ? redactSnapshot(t.snapshot) : null,
  };
}

function clustersText(list: ClusterInfo[]): string {
  // Envoy's /clusters layout: `<cluster>::<host:port>::<stat>::<value>`.
  const lines: string[] = [];
  for (const c of list) {
    for (const e of c.endpoints) {
      const p = `${c.sni}::${e.address}:${e.port}`;
      lines.push(`${p}::kind::${c.kind}`, `${p}::weight::${e.weight ?? 1}`, `${p}::zone::${e.zone ?? ''}`, `${p}::cx_active::${e.active}`, `${p}::cx_total::${e.total}`, `${p}::cx_connect_fail::${e.connectFailures}`, `${p}::health_flags::${e.healthy ? 'healthy' : '/failed_active_connect'}`);
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/** What the admin paths answer; the single-process egress and the primary of `--workers N` each provide them. */
export interface AdminRoutes {
  /** 200 with `text` when ok, else 503. */
  ready(): { ok: boolean; text: string };
  stats(): string | Promise<string>;
  prometheus(): Promise<{ type: string; body: string }>;
  configDump(): unknown;
  clusters(): ClusterInfo[] | Promise<ClusterInfo[]>;
}

/** The routes of one egress process. */
export function adminRoutes(src: AdminSource): AdminRoutes {
  return {
    ready: () => {
      const s = src.state();
      return { ok: s === 'READY', text: s };
    },
    stats: () => src.metrics.text({ state: src.state(), config_version: src.table()?.snapshot.version ?? '' }),
    prometheus: async () => ({ type: src.metrics.registry.contentType, body: await src.metrics.registry.metrics() }),
    configDump: () => configDump(src),
    clusters: () => clusters(src),
  };
}

export function createAdminServer(src: AdminSource): http.Server {
  return serveAdmin(adminRoutes(src));
}

export function serveAdmin(routes: AdminRoutes): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    // `new URL` throws on request targets like `//[`; a throw here would be uncaught and end the egress.
    if (!URL.canParse(req.url ?? '/', 'http://admin')) return send(400, 'text/plain', 'malformed request path\n');
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed: the admin API is read-only\n');
    const answer = async (): Promise<void> => {
      switch (url.pathname) {
        case '/ready': {
          const r = routes.ready();
          return send(r.ok ? 200 : 503, 'text/plain', `${r.text}\n`);
        }
        case '/stats':
          return send(200, 'text/plain', await routes.stats());
        case '/stats/prometheus': {
          const p = await routes.prometheus();
          return send(200, p.type, p.body);
        }
        case '/config_dump':
          return send(200, 'application/json', JSON.stringify(await routes.configDump(), null, 2) + '\n');
        case '/clusters': {
          const list = await routes.clusters();
          if (url.searchParams.get('format') === 'json') return send(200, 'application/json', JSON.stringify({ clusters: list }, null, 2) + '\n');
          return send(200, 'text/plain', clustersText(list));
        }
        default:
          return send(404, 'text/plain', 'not found; try /ready, /stats, /stats/prometheus, /config_dump, /clusters\n');
      }
    };
    answer().catch((err: Error) => send(500, 'text/plain', `${url.pathname} failed: ${err.message}\n`));
  });
}
