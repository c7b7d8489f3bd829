/**
 * What the insight-backed tables (`inspect zoneegresses`, `zoneingresses`, `zones`) share: the
 * subscriptions an insight keeps, the one connected last, the counters summed over all, and
 * kumactl's six status columns.
 */
import type { ChalkInstance } from 'chalk';
import type { Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import { ago } from '../age.js';

type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The fields a DiscoverySubscription (egress, ingress) and a KDSSubscription (zone) have alike. */
export interface SubscriptionBase {
  connectTime?: string;
  disconnectTime?: string;
  status?: { lastUpdateTime?: string; total?: { responsesSent?: string | number; responsesRejected?: string | number } };
}

/** The status every insight-backed row has. */
export interface InsightStatus {
  name: string;
  online: boolean;
  lastConnected?: string;
  lastUpdated?: string;
  totalUpdates: number;
  totalErrors: number;
}

/** uint64 counters travel as strings in protojson. */
function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}

/** The subscriptions of the insight under `insightKey` of an overview (none when it has no insight). */
export function subscriptions<T extends SubscriptionBase>(overview: Resource, insightKey: string): T[] {
  const subs = obj(overview[insightKey]).subscriptions;
  return (Array.isArray(subs) ? subs : []).map((s) => obj(s) as T);
}

/** The subscription connected last (the later in the list on a tie), if any has connected. */
export function latestConnected<T extends SubscriptionBase>(subs: readonly T[]): T | undefined {
  let latest: T | undefined;
  for (const s of subs) {
    if (!s.connectTime) continue;
    if (!latest?.connectTime || Date.parse(s.connectTime) >= Date.parse(latest.connectTime)) latest = s;
  }
  return latest;
}

/** Times from the latest subscription; updates and errors summed over all of them. */
export function insightStatus(name: string, online: boolean, subs: readonly SubscriptionBase[], latest: SubscriptionBase | undefined): InsightStatus {
  return {
    name,
    online,
    lastConnected: str(latest?.connectTime),
    lastUpdated: str(latest?.status?.lastUpdateTime),
    totalUpdates: subs.reduce((n, s) => n + count(s.status?.total?.responsesSent), 0),
    totalErrors: subs.reduce((n, s) => n + count(s.status?.total?.responsesRejected), 0),
  };
}

/** kumactl's first columns: NAME STATUS LAST CONNECTED AGO LAST UPDATED AGO TOTAL UPDATES TOTAL ERRORS. */
export const STATUS_HEADER = ['NAME', 'STATUS', 'LAST CONNECTED AGO', 'LAST UPDATED AGO', 'TOTAL UPDATES', 'TOTAL ERRORS'];

export function statusCells(s: InsightStatus, clock: Clock, colors: ChalkInstance): string[] {
  return [s.name, s.online ? colors.green('Online') : colors.red('Offline'), ago(s.lastConnected, clock), ago(s.lastUpdated, clock), String(s.totalUpdates), String(s.totalErrors)];
}
