/**
 * What the page computes from API answers, kept free of DOM code. The egress status follows
 * `zonectl inspect zoneegresses` (src/cli/views/inspect.ts): Online when one subscription is
 * connected and not disconnected; last connected/updated from the subscription connected last;
 * updates and errors summed over the subscriptions the insight keeps.
 */

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** uint64 counters travel as strings in protojson. */
export function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

export interface Subscription {
  id: string;
  controlPlaneInstanceId: string;
  connectTime: string;
  disconnectTime: string;
  lastUpdateTime: string;
  sent: number;
  acked: number;
  rejected: number;
  version: string;
}

export function subscriptions(insight: unknown): Subscription[] {
  return arr(obj(insight).subscriptions).map((raw) => {
    const s = obj(raw);
    const status = obj(s.status);
    const total = obj(status.total);
    const version = obj(s.version);
    return {
      id: str(s.id),
      controlPlaneInstanceId: str(s.controlPlaneInstanceId),
      connectTime: str(s.connectTime),
      disconnectTime: str(s.disconnectTime),
      lastUpdateTime: str(status.lastUpdateTime),
      sent: count(total.responsesSent),
      acked: count(total.responsesAcknowledged),
      rejected: count(total.responsesRejected),
      version: str(obj(version.zonectl).version) || str(obj(version.kumaDp).version),
    };
  });
}

export interface EgressRow {
  name: string;
  zone: string;
  address: string;
  adminPort: string;
  online: boolean;
  lastConnected: string;
  lastUpdated: string;
  totalUpdates: number;
  totalErrors: number;
  version: string;
  subscriptions: Subscription[];
}

/** One row of the egress table from a ZoneEgressOverview (`/zoneegresses/_overview`). */
export function egressRow(overview: unknown): EgressRow {
  const o = obj(overview);
  const ze = obj(o.zoneEgress);
  const net = obj(ze.networking);
  const subs = subscriptions(o.zoneEgressInsight);
  let latest: Subscription | undefined;
  for (const s of subs) {
    if (!s.connectTime) continue;
    if (!latest || Date.parse(s.connectTime) >= Date.parse(latest.connectTime)) latest = s;
  }
  return {
    name: str(o.name),
    zone: str(ze.zone),
    address: net.address !== undefined ? `${str(net.address)}:${str(net.port)}` : '',
    adminPort: str(obj(net.admin).port),
    online: subs.some((s) => s.connectTime !== '' && s.disconnectTime === ''),
    lastConnected: latest?.connectTime ?? '',
    lastUpdated: latest?.lastUpdateTime ?? '',
    totalUpdates: subs.reduce((n, s) => n + s.sent, 0),
    totalErrors: subs.reduce((n, s) => n + s.rejected, 0),
    version: latest?.version ?? '',
    subscriptions: subs,
  };
}

/** "3m ago" style, like the CLI's AGO columns ("never" for no time). */
export function ago(iso: string, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'never';
  let s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''} ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''} ago`;
  s = Math.floor(h / 24);
  return `${s}d ago`;
}

export function dateTime(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : iso;
}

export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export interface RouteStats {
  sni: string;
  active: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  outcomes: Record<string, number>;
}

export interface EgressStats {
  state: string;
  configVersion: string;
  accepted: number;
  rejected: Record<string, number>;
  /** Denials by policy (`denied.*` or `permission_denied*` counters), when the egress reports them. */
  denied: Record<string, number>;
  upstreamConnectFailures: number;
  routes: RouteStats[];
  /** Every `key: value` line, for counters this page does not know yet. */
  raw: [string, string][];
}

/**
 * Parses the egress's `/stats` text (`key: value` lines; route keys are
 * `route.<sni>.<counter>`, and an SNI may contain dots, so the counter is matched from the end).
 */
export function parseStats(text: string): EgressStats {
  const s: EgressStats = { state: '', configVersion: '', accepted: 0, rejected: {}, denied: {}, upstreamConnectFailures: 0, routes: [], raw: [] };
  const routes = new Map<string, RouteStats>();
  const route = (sni: string) => {
    let r = routes.get(sni);
    if (!r) routes.set(sni, (r = { sni, active: 0, total: 0, bytesIn: 0, bytesOut: 0, outcomes: {} }));
    return r;
  };
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i < 0) continue;
    const key = line.slice(0, i);
    const value = line.slice(i + 2).trim();
    s.raw.push([key, value]);
    const n = count(value);
    if (key === 'state') s.state = value;
    else if (key === 'config_version') s.configVersion = value;
    else if (key === 'downstream_cx_total') s.accepted = n;
    else if (key === 'upstream_cx_connect_fail') s.upstreamConnectFailures = n;
    else if (key.startsWith('rejected.')) s.rejected[key.slice('rejected.'.length)] = n;
    else if (key.startsWith('denied.')) s.denied[key.slice('denied.'.length)] = n;
    else if (key.startsWith('permission_denied')) s.denied[key.replace(/^permission_denied[._]?/, '') || 'total'] = n;
    else if (key.startsWith('route.')) {
      const m = /^route\.(.+)\.(cx_active|cx_total|bytes_in|bytes_out|outcome\.[\w-]+)$/.exec(key);
      if (!m) continue;
      const r = route(m[1]);
      if (m[2] === 'cx_active') r.active = n;
      else if (m[2] === 'cx_total') r.total = n;
      else if (m[2] === 'bytes_in') r.bytesIn = n;
      else if (m[2] === 'bytes_out') r.bytesOut = n;
      else r.outcomes[m[2].slice('outcome.'.length)] = n;
    }
  }
  s.routes = [...routes.values()];
  return s;
}

/** Totals the chart samples: connections accepted and bytes both ways over all routes. */
export function totals(s: EgressStats): { connections: number; bytes: number; active: number } {
  return {
    connections: s.accepted,
    bytes: s.routes.reduce((n, r) => n + r.bytesIn + r.bytesOut, 0),
    active: s.routes.reduce((n, r) => n + r.active, 0),
  };
}

const SECRET_KEYS = /^(keyPem|key|privateKey|token|password|secret|data)$/i;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/**
 * The egress already redacts keys in its config dump; the page redacts again, so a future field
 * or an older egress can never put a private key or token on screen.
 */
export function redact(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(PEM_KEY, '[redacted]');
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) && x !== '[redacted]' && typeof x === 'string' && x !== '' ? '[redacted]' : redact(x)]));
  return v;
}
