/**
 * `inspect zoneegress NAME --type ...`: the egress's admin output, fetched by the control plane
 * from the egress's admin address (Kuma's `/zoneegresses/{name}/xds|stats|clusters`).
 */
import type { ApiClient } from './api-client.js';

export const EGRESS_ADMIN_VIEWS = ['config-dump', 'stats', 'clusters'] as const;
export type EgressAdminView = (typeof EGRESS_ADMIN_VIEWS)[number];

const SEGMENT: Record<EgressAdminView, string> = { 'config-dump': 'xds', stats: 'stats', clusters: 'clusters' };

/** The admin output as text (JSON for config-dump, as the egress serves it). */
export async function inspectEgressAdmin(client: ApiClient, name: string, view: EgressAdminView): Promise<string> {
  const res = await client.request('GET', `/zoneegresses/${encodeURIComponent(name)}/${SEGMENT[view]}`, { accept: '*/*' });
  return res.body;
}
