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
import { insightStatus, latestConnected, obj, STATUS_HEADER, statusCells, str, subscriptions, type InsightStatus, type SubscriptionBase } from './insight.js';
import { meshMtls } from './resources.js';

/** A subscription of a ZoneEgressInsight (zoneegressinsight.proto's DiscoverySubscription). */
export interface Subscription extends SubscriptionBase {
  id?: string;
  controlPlaneInstanceId?: string;
  version?: { zonectl?: { version?: string }; kumaDp?: { version?: string }; envoy?: { version?: string } };
}

export interface EgressStatusRow extends InsightStatus {
  version: string;
}

export function egressStatus(overview: Resource, insightKey = 'zoneEgressInsight'): EgressStatusRow {
  const subs = subscriptions<Subscription>(overview, insightKey);
  const latest = latestConnected(subs);
  return {
    ...insightStatus(overview.name, subs.some((s) => Boolean(s.connectTime) && !s.disconnectTime), subs, latest),
    // zonectl's egress reports `version.zonectl`; a kuma-dp reports `version.kumaDp`.
    version: str(latest?.version?.zonectl?.version) ?? str(latest?.version?.kumaDp?.version) ?? '',
  };
}

/** kumactl's `inspect zoneingresses` table; versions are the ingress proxy's (kuma-dp, Envoy). */
export function renderIngressTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance): string {
  const header = [...STATUS_HEADER, 'KUMA-DP VERSION', 'ENVOY VERSION'];
  const rows = overviews.map((o) => {
    const last = latestConnected(subscriptions<Subscription>(o, 'zoneIngressInsight'));
    return [...statusCells(egressStatus(o, 'zoneIngressInsight'), clock, colors), str(last?.version?.kumaDp?.version) ?? '', str(last?.version?.envoy?.version) ?? ''];
  });
  return renderTable(header, rows);
}

/** `-o wide` adds where the egress is and which control-plane instance holds its stream. */
export function renderEgressTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance, opts: { wide?: boolean } = {}): string {
  const header = [...STATUS_HEADER, 'ZONECTL VERSION'];
  if (opts.wide) header.push('ZONE', 'ADDRESS', 'CP INSTANCE');
  const rows = overviews.map((o) => {
    const s = egressStatus(o);
    return [...statusCells(s, clock, colors), s.version, ...(opts.wide ? egressWide(o) : [])];
  });
  return renderTable(header, rows);
}

function egressWide(overview: Resource): string[] {
  const egress = obj(overview.zoneEgress);
  const net = obj(egress.networking);
  const address = str(net.address) ? `${String(net.address)}${net.port !== undefined ? `:${String(net.port)}` : ''}` : '';
  const live = subscriptions<Subscription>(overview, 'zoneEgressInsight').filter((x) => x.connectTime && !x.disconnectTime).pop();
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
