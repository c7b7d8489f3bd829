/**
 * What crosses between the global and its zones, and how it is relabelled on the way: Kuma's KDS
 * filters and mappers (pkg/kds/context/context.go: GlobalProvidedFilter, ZoneProvidedFilter,
 * the global and zone ResourceMappers; pkg/kds/v2/store/sync.go: GlobalSyncCallback). Pure.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { DISPLAY_NAME_LABEL, kdsRule, ORIGIN_LABEL, ZONE_LABEL } from '../../resources/kds.js';
import { allKinds, kindByType, type KindInfo } from '../../resources/kinds.js';
import { hashedName, type WireKey } from '../../resources/multizone-protocol.js';
import type { Resource } from '../../resources/types.js';
import { signingKeySerial, signingPublicKeySecretName } from '../../tokens/index.js';

/** Kinds the global sends to zones (owner `global`): Mesh, ExternalService, GlobalSecret, policies. */
export function globalOwnedKinds(): KindInfo[] {
  return allKinds().filter((k) => kdsRule(k).owner === 'global');
}

/** Kinds zones send to the global (owner `zone`). */
export function zoneOwnedKinds(): KindInfo[] {
  return allKinds().filter((k) => kdsRule(k).owner === 'zone');
}

export function ownerOf(type: string): 'global' | 'zone' | 'local' {
  const kind = kindByType(type);
  return kind ? kdsRule(kind).owner : 'local';
}

export function acrossZones(type: string): boolean {
  const kind = kindByType(type);
  return kind ? kdsRule(kind).acrossZones === true : false;
}

function labels(r: Resource): Record<string, string> {
  return { ...(r.labels ?? {}) };
}

function withoutTimes(r: Resource): Resource {
  const { creationTime: _c, modificationTime: _m, kri: _k, ...rest } = r;
  if (rest.mesh === '') delete rest.mesh;
  return rest as Resource;
}

/** Kuma's IsLocallyOriginated: no origin label, or the label of this side. */
export function isLocallyOriginated(r: Resource, side: 'global' | 'zone'): boolean {
  const origin = r.labels?.[ORIGIN_LABEL];
  return origin === undefined || origin === side;
}

/**
 * A global-owned resource as a zone receives it, or undefined when it is not sent: labelled
 * `kuma.io/origin: global`; a zone-token signing key becomes its public key
 * (`zone-token-signing-public-key-N`, Kuma's MapZoneTokenSigningKeyGlobalToPublicKey), so no
 * private signing key ever leaves the global.
 */
export function globalCopyForZones(r: Resource): Resource | undefined {
  if (ownerOf(r.type) !== 'global' || !isLocallyOriginated(r, 'global')) return undefined;
  let out = withoutTimes(r);
  if (r.type === 'GlobalSecret') {
    const serial = signingKeySerial(r.name);
    if (serial !== undefined) {
      const pem = publicPemOf(String(r.data ?? ''));
      if (pem === undefined) return undefined;
      out = { ...out, name: signingPublicKeySecretName(serial), data: Buffer.from(pem).toString('base64') };
    }
  }
  return { ...out, labels: { ...labels(out), [ORIGIN_LABEL]: 'global' } };
}

/** The store key on the global that produced a zone-side key (signing public key -> signing key). */
export function globalStoreName(type: string, sentName: string): string {
  const m = type === 'GlobalSecret' ? /^zone-token-signing-public-key-(\d+)$/.exec(sentName) : null;
  return m ? `zone-token-signing-key-${m[1]}` : sentName;
}

/** The name a global-owned resource has on the zones (signing key -> public key). */
export function zoneSideName(type: string, storeName: string): string {
  const serial = type === 'GlobalSecret' ? signingKeySerial(storeName) : undefined;
  return serial !== undefined ? signingPublicKeySecretName(serial) : storeName;
}

function publicPemOf(base64: string): string | undefined {
  try {
    const priv = createPrivateKey(Buffer.from(base64, 'base64'));
    return createPublicKey(priv).export({ type: 'pkcs1', format: 'pem' }).toString();
  } catch {
    return undefined;
  }
}

/**
 * Kuma's pinZone/pinZoneTag (pkg/kds/v2/store/sync.go): a proxy's `zone`, and any `kuma.io/zone`
 * tag of the services a ZoneIngress offers, name the zone it came from, whatever was written.
 */
function pinZone(out: Resource, zone: string): void {
  if (out.type !== 'ZoneEgress' && out.type !== 'ZoneIngress') return;
  out.zone = zone;
  if (out.type === 'ZoneIngress' && Array.isArray(out.availableServices)) {
    out.availableServices = (out.availableServices as { tags?: Record<string, string> }[]).map((svc) =>
      svc?.tags?.[ZONE_LABEL] !== undefined ? { ...svc, tags: { ...svc.tags, [ZONE_LABEL]: zone } } : svc,
    );
  }
}

/**
 * A zone's own resource as the zone sends it to the global, or undefined when it is not sent
 * (another owner, or a copy that came from the global): labelled `kuma.io/origin: zone`,
 * `kuma.io/zone: <zone>` and `kuma.io/display-name: <name>`, with the `zone` field of proxies
 * pinned to the zone (Kuma's zone mappers and pinZone).
 */
export function zoneCopyForGlobal(r: Resource, zone: string): Resource | undefined {
  if (ownerOf(r.type) !== 'zone' || !isLocallyOriginated(r, 'zone')) return undefined;
  const out = withoutTimes(r);
  pinZone(out, zone);
  return { ...out, labels: { ...labels(out), [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: zone, [DISPLAY_NAME_LABEL]: r.name } };
}

/**
 * The zone's resource as the global stores it: the zone labels enforced whatever the zone sent
 * (a zone can only speak for itself), under Kuma's hashed name so equal names in two zones do not
 * collide. Undefined when the kind is not one zones provide.
 */
export function globalStoredFromZone(r: Resource, zone: string): Resource | undefined {
  if (ownerOf(r.type) !== 'zone') return undefined;
  const out = withoutTimes(r);
  pinZone(out, zone);
  out.labels = { ...labels(out), [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: zone, [DISPLAY_NAME_LABEL]: r.name };
  out.name = hashedName(r.mesh ?? '', r.name, zone);
  return out;
}

/** The inverse of globalStoredFromZone: the resource as the zone sent it (for the zone's inventory). */
export function zoneViewOfStored(r: Resource): Resource {
  const out = withoutTimes(r);
  return { ...out, name: r.labels?.[DISPLAY_NAME_LABEL] ?? r.name };
}

/** A zone resource stored on the global, as the other zones receive it (origin: global, like every KDS copy). */
export function acrossZonesCopy(stored: Resource): Resource {
  const out = withoutTimes(stored);
  return { ...out, labels: { ...labels(out), [ORIGIN_LABEL]: 'global' } };
}

export function zoneOf(r: Resource): string | undefined {
  return r.labels?.[ZONE_LABEL];
}

/** The key the global stores a zone's resource under. */
export function globalKeyOfZoneKey(k: WireKey, zone: string): WireKey {
  return { ...k, name: hashedName(k.mesh ?? '', k.name, zone) };
}
