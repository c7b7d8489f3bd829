/**
 * The global's view of what every zone should hold, kept in memory and updated from the store's
 * change feed, so a write costs a map update and a connecting zone costs one pass over the index,
 * never a store scan. Two parts:
 * - `owned`: global-owned resources as zones receive them (same for every zone);
 * - `fromZones`: what zones sent (stored under hashed names), per zone; the kinds synced across
 *   zones (ZoneIngress) are also sent to every other zone.
 * Keys are the zone-side keys (`keyString` of what the zone stores).
 */
import { keyString, resourceVersion, type ResourceKeyString } from '../../resources/multizone-protocol.js';
import type { Resource } from '../../resources/types.js';
import type { Store, StoreChange } from '../store/types.js';
import { acrossZones, acrossZonesCopy, globalCopyForZones, globalOwnedKinds, ownerOf, zoneOf, zoneOwnedKinds, zoneSideName, zoneViewOfStored } from './mapping.js';

export interface IndexEntry {
  key: ResourceKeyString;
  /** What a zone stores. */
  resource: Resource;
  version: string;
}

interface ZoneEntry {
  zone: string;
  /** Key of the resource in its zone (display name). */
  zoneKey: ResourceKeyString;
  /** Version of the resource as its zone sent it. */
  zoneVersion: string;
  /** Copy for the other zones (kinds synced across zones only). */
  across?: IndexEntry;
}

export class GlobalIndex {
  private readonly owned = new Map<ResourceKeyString, IndexEntry>();
  /** By store key (hashed name). */
  private readonly fromZones = new Map<ResourceKeyString, ZoneEntry>();

  async load(store: Store): Promise<void> {
    for (const kind of [...globalOwnedKinds(), ...zoneOwnedKinds()]) {
      for (const item of (await store.list({ type: kind.type })).items) this.put(item.resource);
    }
  }

  /** Applies a store change; returns the zone-side keys whose desired state may have changed. */
  apply(change: StoreChange): ResourceKeyString[] {
    const owner = ownerOf(change.key.type);
    if (owner === 'local') return [];
    if (change.op !== 'delete' && change.resource) return this.put(change.resource);
    const storeKey = keyString(change.key);
    if (owner === 'global') {
      const key = keyString({ ...change.key, name: zoneSideName(change.key.type, change.key.name) });
      return this.owned.delete(key) ? [key] : [];
    }
    const e = this.fromZones.get(storeKey);
    if (!e) return [];
    this.fromZones.delete(storeKey);
    return e.across ? [e.across.key] : [];
  }

  private put(r: Resource): ResourceKeyString[] {
    const owner = ownerOf(r.type);
    if (owner === 'global') {
      const copy = globalCopyForZones(r);
      const key = keyString({ type: r.type, mesh: r.mesh, name: zoneSideName(r.type, r.name) });
      if (!copy) return this.owned.delete(key) ? [key] : [];
      this.owned.set(key, { key, resource: copy, version: resourceVersion(copy) });
      return [key];
    }
    if (owner !== 'zone') return [];
    const zone = zoneOf(r);
    const storeKey = keyString({ type: r.type, mesh: r.mesh, name: r.name });
    if (!zone || r.labels?.['kuma.io/origin'] !== 'zone') {
      // Not from a zone (e.g. applied here before this control plane became a global): not synced.
      return this.fromZones.delete(storeKey) ? [storeKey] : [];
    }
    const view = zoneViewOfStored(r);
    const entry: ZoneEntry = { zone, zoneKey: keyString({ type: r.type, mesh: r.mesh, name: view.name }), zoneVersion: resourceVersion(view) };
    if (acrossZones(r.type)) {
      const copy = acrossZonesCopy(r);
      entry.across = { key: storeKey, resource: copy, version: resourceVersion(copy) };
    }
    this.fromZones.set(storeKey, entry);
    return entry.across ? [storeKey] : [];
  }

  /** What `zone` should hold for one key; undefined = it should not hold it. */
  desired(zone: string, key: ResourceKeyString): IndexEntry | undefined {
    const owned = this.owned.get(key);
    if (owned) return owned;
    const z = this.fromZones.get(key);
    return z?.across && z.zone !== zone ? z.across : undefined;
  }

  /** Everything `zone` should hold. */
  *desiredFor(zone: string): Iterable<IndexEntry> {
    yield* this.owned.values();
    for (const z of this.fromZones.values()) if (z.across && z.zone !== zone) yield z.across;
  }

  /** What the global holds from `zone`, keyed and versioned as the zone knows it. */
  zoneInventory(zone: string): Record<ResourceKeyString, string> {
    const out: Record<ResourceKeyString, string> = {};
    for (const z of this.fromZones.values()) if (z.zone === zone) out[z.zoneKey] = z.zoneVersion;
    return out;
  }

  /** Counts for `/global-insight`-style summaries and the bench. */
  size(): { owned: number; fromZones: number } {
    return { owned: this.owned.size, fromZones: this.fromZones.size };
  }
}
