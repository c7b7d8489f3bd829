/**
 * `inspect zones`: one row per ZoneOverview with kumactl's columns (app/kumactl/cmd/inspect/
 * inspect_zones.go). A zone is Online when its newest subscription is connected and not
 * disconnected (the global closes older ones when a zone reconnects) and the Zone is enabled;
 * times and the version come from the newest subscription, updates and errors are summed over all.
 */
import type { ChalkInstance } from 'chalk';
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import { ago } from '../age.js';
import { renderTable } from '../printers.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A KDSSubscription of a ZoneInsight (api/system/v1alpha1/zone_insight.proto). */
interface KdsSubscription {
  connectTime?: string;
  disconnectTime?: string;
  globalInstanceId?: string;
  status?: { lastUpdateTime?: string; total?: { responsesSent?: string | number; responsesRejected?: string | number } };
  version?: { kumaCp?: { version?: string } };
}

export interface ZoneStatusRow {
  name: string;
  online: boolean;
  enabled: boolean;
  lastConnected?: string;
  lastUpdated?: string;
  totalUpdates: number;
  totalErrors: number;
  version: string;
  /** Global instance holding the zone's stream (`-o wide`). */
  globalInstance: string;
}

function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

export function zoneStatus(overview: Resource): ZoneStatusRow {
  const subs = (Array.isArray(obj(overview.zoneInsight).subscriptions) ? (obj(overview.zoneInsight).subscriptions as unknown[]) : []).map((s) => obj(s) as KdsSubscription);
  let latest: KdsSubscription | undefined;
  for (const s of subs) {
    if (!s.connectTime) continue;
    if (!latest?.connectTime || Date.parse(s.connectTime) >= Date.parse(latest.connectTime)) latest = s;
  }
  const enabled = obj(overview.zone).enabled !== false;
  const online = Boolean(latest?.connectTime && !latest.disconnectTime) && enabled;
  return {
    name: overview.name,
    online,
    enabled,
    lastConnected: str(latest?.connectTime),
    lastUpdated: str(latest?.status?.lastUpdateTime),
    totalUpdates: subs.reduce((n, s) => n + count(s.status?.total?.responsesSent), 0),
    totalErrors: subs.reduce((n, s) => n + count(s.status?.total?.responsesRejected), 0),
    version: str(latest?.version?.kumaCp?.version) ?? '',
    globalInstance: online ? (str(latest?.globalInstanceId) ?? '') : '',
  };
}

export function renderZoneTable(overviews: readonly Resource[], clock: Clock, colors: ChalkInstance, opts: { wide?: boolean } = {}): string {
  const header = ['NAME', 'STATUS', 'LAST CONNECTED AGO', 'LAST UPDATED AGO', 'TOTAL UPDATES', 'TOTAL ERRORS', 'ZONE-CP VERSION'];
  if (opts.wide) header.push('GLOBAL INSTANCE');
  const rows = overviews.map((o) => {
    const s = zoneStatus(o);
    const row = [s.name, s.online ? colors.green('Online') : colors.red('Offline'), ago(s.lastConnected, clock), ago(s.lastUpdated, clock), String(s.totalUpdates), String(s.totalErrors), s.version];
    return opts.wide ? [...row, s.globalInstance] : row;
  });
  return renderTable(header, rows);
}
