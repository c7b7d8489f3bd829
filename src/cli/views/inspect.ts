/**
 * `inspect zoneegresses` and `inspect meshes`: rows computed from the overviews as kumactl does.
 * An egress is Online when one of its subscriptions is connected and not disconnected; the last
 * connected/updated times and the version come from the subscription connected last; updates and
 * errors are summed over all subscriptions kept in the insight.
 */
import type { ChalkInstance } from 'chalk';
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import { ago } from '../age.js';
import { renderTable } from '../printers.js';
import { meshMtls } from './resources.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A subscription of a ZoneEgressInsight (zoneegressinsight.proto's DiscoverySubscription). */
export interface Subscription {
  id?: string;
  controlPlaneInstanceId?: string;
  connectTime?: string;
  disconnectTime?: string;
  status?: { lastUpdateTime?: string; total?: { responsesSent?: string | number; responsesRejected?: string | number } };
  version?: { zonectl?: { version?: string }; kumaDp?: { version?: string }; envoy?: { version?: string } };
}

export interface EgressStatusRow {
  name: string;
  online: boolean;
  lastConnected?: string;
  lastUpdated?: string;
  totalUpdates: number;
  totalErrors: number;
  version: string;
}

/** uint64 counters travel as strings in protojson. */
function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

export function egressStatus(overview: Resource, insightKey = 'zoneEgressInsight'): EgressStatusRow {
  const insight = obj(overview[insightKey]);
  const subs = (Array.isArray(insight.subscriptions) ? insight.subscriptions : []).map((s) => obj(s) as Subscription);
  let latest: Subscription | undefined;
  for (const s of subs) {
    if (!s.connectTime) continue;
    if (!latest?.connectTime || Date.parse(s.connectTime) >= Date.parse(latest.connectTime)) latest = s;
  }
  return {
    name: overview.name,
    online: subs.some((s) => Boolean(s.connectTime) && !s.disconnectTime),
    lastConnected: str(latest?.connectTime),
    lastUpdated: str(latest?.status?.lastUpdateTime),
    totalUpdates: subs.reduce((n, s) => n + count(s.status?.total?.responsesSent), 0),
    totalErrors: subs.reduce((n, s) => n + count(s.status?.total?.responsesRejected), 0),
    // zonectl's egress reports `version.zonectl`; a kuma-dp reports `version.kumaDp`.
    version: str(latest?.version?.zonectl?.version) ?? str(latest?.version?.kumaDp?.version) ?? '',
  };
}

/** kumactl's `inspect zoneingresses` table; versions are the ingress proxy's (kuma-dp, Envoy). */
export function renderIngressTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance): string {
  const header = ['NAME', 'STATUS', 'LAST CONNECTED AGO', 'LAST UPDATED AGO', 'TOTAL UPDATES', 'TOTAL ERRORS', 'KUMA-DP VERSION', 'ENVOY VERSION'];
  const rows = overviews.map((o) => {
    const s = egressStatus(o, 'zoneIngressInsight');
    const subs = (Array.isArray(obj(o.zoneIngressInsight).subscriptions) ? (obj(o.zoneIngressInsight).subscriptions as unknown[]) : []).map((x) => obj(x) as Subscription);
    const last = subs.filter((x) => x.connectTime).sort((a, b) => Date.parse(a.connectTime!) - Date.parse(b.connectTime!)).pop();
    return [
      s.name,
      s.online ? colors.green('Online') : colors.red('Offline'),
      ago(s.lastConnected, clock),
      ago(s.lastUpdated, clock),
      String(s.totalUpdates),
      String(s.totalErrors),
      str(last?.version?.kumaDp?.version) ?? '',
      str(last?.version?.envoy?.version) ?? '',
    ];
  });
  return renderTable(header, rows);
}

/** `-o wide` adds where the egress is and which control-plane instance holds its stream. */
export function renderEgressTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance, opts: { wide?: boolean } = {}): string {
  const header = ['NAME', 'STATUS', 'LAST CONNECTED AGO', 'LAST UPDATED AGO', 'TOTAL UPDATES', 'TOTAL ERRORS', 'ZONECTL VERSION'];
  if (opts.wide) header.push('ZONE', 'ADDRESS', 'CP INSTANCE');
  const rows = overviews.map((o) => {
    const s = egressStatus(o);
    const wide = opts.wide ? egressWide(o) : [];
    return [
      s.name,
      s.online ? colors.green('Online') : colors.red('Offline'),
      ago(s.lastConnected, clock),
      ago(s.lastUpdated, clock),
      String(s.totalUpdates),
      String(s.totalErrors),
      s.version,
      ...wide,
    ];
  });
  return renderTable(header, rows);
}

function egressWide(overview: Resource): string[] {
  const egress = obj(overview.zoneEgress);
  const net = obj(egress.networking);
  const address = str(net.address) ? `${String(net.address)}${net.port !== undefined ? `:${String(net.port)}` : ''}` : '';
  const subs = (Array.isArray(obj(overview.zoneEgressInsight).subscriptions) ? (obj(overview.zoneEgressInsight).subscriptions as unknown[]) : []).map((x) => obj(x) as Subscription);
  const live = subs.filter((x) => x.connectTime && !x.disconnectTime).pop();
  return [str(egress.zone) ?? '', address, str(live?.controlPlaneInstanceId) ?? ''];
}

/** One row of `inspect meshes`: what a mesh means for its egresses. */
export interface MeshSummary {
  name: string;
  /** `type/name` of the enabled mTLS backend, or `off`. */
  mtls: string;
  /** `routing.zoneEgress`: cross-zone traffic goes through the egress. */
  zoneEgress: boolean;
  /** How many ExternalServices the egress terminates for this mesh. */
  externalServices: number;
  creationTime?: string;
}

export function meshSummary(mesh: Resource, externalServices: number): MeshSummary {
  return {
    name: mesh.name,
    mtls: meshMtls(mesh),
    zoneEgress: obj(mesh.routing).zoneEgress === true,
    externalServices,
    creationTime: str(mesh.creationTime),
  };
}

export function renderMeshSummaryTable(rows: readonly MeshSummary[], clock: Clock): string {
  return renderTable(
    ['MESH', 'mTLS', 'ZONEEGRESS', 'EXTERNAL SERVICES', 'AGE'],
    rows.map((r) => [r.name, r.mtls, r.zoneEgress ? 'on' : 'off', String(r.externalServices), ago(r.creationTime, clock)]),
  );
}
