/**
 * `inspect zones`: one row per ZoneOverview with kumactl's columns (app/kumactl/cmd/inspect/
 * inspect_zones.go). A zone is Online when its newest subscription is connected and not
 * disconnected (the global closes older ones when a zone reconnects) and the Zone is enabled;
 * times and the version come from the newest subscription, updates and errors are summed over all.
 */
import type { ChalkInstance } from 'chalk';
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import { renderTable } from '../printers.js';
import { insightStatus, latestConnected, obj, STATUS_HEADER, statusCells, str, subscriptions, type InsightStatus, type SubscriptionBase } from './insight.js';

/** A KDSSubscription of a ZoneInsight (api/system/v1alpha1/zone_insight.proto). */
interface KdsSubscription extends SubscriptionBase {
  globalInstanceId?: string;
  version?: { kumaCp?: { version?: string } };
}

export interface ZoneStatusRow extends InsightStatus {
  enabled: boolean;
  version: string;
  /** Global instance holding the zone's stream (`-o wide`). */
  globalInstance: string;
}

export function zoneStatus(overview: Resource): ZoneStatusRow {
  const subs = subscriptions<KdsSubscription>(overview, 'zoneInsight');
  const latest = latestConnected(subs);
  const enabled = obj(overview.zone).enabled !== false;
  const online = Boolean(latest?.connectTime && !latest.disconnectTime) && enabled;
  return {
    ...insightStatus(overview.name, online, subs, latest),
    enabled,
    version: str(latest?.version?.kumaCp?.version) ?? '',
    globalInstance: online ? (str(latest?.globalInstanceId) ?? '') : '',
  };
}

export function renderZoneTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance, opts: { wide?: boolean } = {}): string {
  const header = [...STATUS_HEADER, 'ZONE-CP VERSION'];
  if (opts.wide) header.push('GLOBAL INSTANCE');
  const rows = overviews.map((o) => {
    const s = zoneStatus(o);
    const row = [...statusCells(s, clock, colors), s.version];
    return opts.wide ? [...row, s.globalInstance] : row;
  });
  return renderTable(header, rows);
}
