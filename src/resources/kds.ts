/**
 * Which kinds travel between a global control plane and its zones, and who owns them: Kuma's KDS
 * flags (pkg/core/resources/model/resource.go, KDSFlagType) reduced to what zonectl needs.
 *
 * - `global`: provided by the global, synced to every zone, read-only on a zone (Kuma's
 *   GlobalToZonesFlag): Mesh, ExternalService, GlobalSecret and every mesh-scoped kind, so the
 *   policy kinds added to the registry flow without a change here.
 * - `zone`: provided by a zone, synced to the global, read-only on the global (ZoneToGlobalFlag):
 *   ZoneEgress, ZoneEgressInsight, ZoneIngress; ZoneIngress is also synced on to the other zones
 *   (SyncedAcrossZonesFlag), which is how a zone's egress learns where remote services are.
 * - `local`: never synced (Zone and ZoneInsight live on the global only).
 */
import type { KindInfo } from './kinds.js';

export type KdsOwner = 'global' | 'zone' | 'local';

export interface KdsRule {
  owner: KdsOwner;
  /** A `zone` kind that the global forwards to the other zones (Kuma's SyncedAcrossZonesFlag). */
  acrossZones?: boolean;
  /**
   * A `global` kind that a zone may also create for itself (Kuma's Secret is ProvidedByZone too):
   * writes are refused only on the resources that came from the global.
   */
  zoneWritable?: boolean;
}

const RULES: Record<string, KdsRule> = {
  Mesh: { owner: 'global' },
  GlobalSecret: { owner: 'global', zoneWritable: true },
  ZoneEgress: { owner: 'zone' },
  ZoneEgressInsight: { owner: 'zone' },
  ZoneIngress: { owner: 'zone', acrossZones: true },
  ZoneIngressInsight: { owner: 'zone' },
  Zone: { owner: 'local' },
  ZoneInsight: { owner: 'local' },
  ControlPlaneInfo: { owner: 'local' },
};

/** The rule of a kind: listed above, else every mesh-scoped kind is global-owned (policies). */
export function kdsRule(kind: Pick<KindInfo, 'type' | 'scope'>): KdsRule {
  return RULES[kind.type] ?? (kind.scope === 'mesh' ? { owner: 'global' } : { owner: 'local' });
}

/** Labels Kuma puts on synced resources (mesh_proto.ResourceOriginLabel, ZoneTag, DisplayName). */
export const ORIGIN_LABEL = 'kuma.io/origin';
export const ZONE_LABEL = 'kuma.io/zone';
export const DISPLAY_NAME_LABEL = 'kuma.io/display-name';

/**
 * Kuma's refusals (pkg/api-server/resource_endpoints.go, zoneReadOnlyMessage and
 * globalReadOnlyMessage), without Kuma's trailing newline.
 */
export const ZONE_READ_ONLY_MESSAGE =
  "On zone control plane you can only modify zone resources with 'kumactl apply' or via the HTTP API. You can still use 'kumactl' or the HTTP API to modify the rest of the resource on the global control plane.";
export const GLOBAL_READ_ONLY_MESSAGE =
  "On global control plane you can not modify dataplane resources with 'kumactl apply' or via the HTTP API. You can still use 'kumactl' or the HTTP API to modify them on the zone control plane.";

export type CpMode = 'standalone' | 'global' | 'zone';

/**
 * Why a write of this kind (and, for zone-writable kinds, of this stored resource) is refused in
 * this mode; undefined when it is allowed.
 */
export function readOnlyReason(mode: CpMode | undefined, kind: Pick<KindInfo, 'type' | 'scope'>, stored?: { labels?: Record<string, string> }): string | undefined {
  const rule = kdsRule(kind);
  if (mode === 'zone' && rule.owner === 'global') {
    if (!rule.zoneWritable) return ZONE_READ_ONLY_MESSAGE;
    if (stored?.labels?.[ORIGIN_LABEL] === 'global') return ZONE_READ_ONLY_MESSAGE;
  }
  if (mode === 'global' && rule.owner === 'zone') return GLOBAL_READ_ONLY_MESSAGE;
  return undefined;
}
