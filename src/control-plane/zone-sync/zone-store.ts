/**
 * The zone's side of the store: what it holds from the global (its inventory, sent on every
 * (re)connect so the global sends only what differs), applying a step from the global, and the
 * zone's own resources as the global should see them.
 */
import { NotFoundError } from '../../core/errors.js';
import { ORIGIN_LABEL } from '../../resources/kds.js';
import { keyString, resourceVersion, wireKey, type ResourceKeyString, type WireKey } from '../../resources/multizone-protocol.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';
import { globalOwnedKinds, zoneCopyForGlobal, zoneOwnedKinds } from './mapping.js';

/** Every resource this zone holds that came from the global, by key: version. */
export async function zoneInventory(store: Store): Promise<Record<ResourceKeyString, string>> {
  const out: Record<ResourceKeyString, string> = {};
  for (const kind of [...globalOwnedKinds(), ...zoneOwnedKinds()]) {
    for (const { resource } of (await store.list({ type: kind.type })).items) {
      if (resource.labels?.[ORIGIN_LABEL] === 'global') out[keyString(wireKey(resource))] = resourceVersion(resource);
    }
  }
  return out;
}

/**
 * Applies one step from the global. Writes go out together (the SQLite store commits the writes
 * of one event-loop turn in one transaction). Only copies from the global are ever deleted: a
 * key the zone owns itself is left alone whatever the global says.
 */
export async function applyChanges(store: Store, upserts: Resource[], deletes: WireKey[]): Promise<void> {
  await Promise.all([
    ...upserts.map((r) => store.upsert(r)),
    ...deletes.map(async (k) => {
      try {
        const { resource } = await store.get(k);
        if (resource.labels?.[ORIGIN_LABEL] !== 'global') return;
        await store.delete(k);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }),
  ]);
}

export interface OwnEntry {
  resource: Resource;
  version: string;
}

/** The zone's own resources (ZoneEgress, ZoneIngress, insights) as the global should hold them. */
export async function zoneOwnResources(store: Store, zone: string): Promise<Map<ResourceKeyString, OwnEntry>> {
  const out = new Map<ResourceKeyString, OwnEntry>();
  for (const kind of zoneOwnedKinds()) {
    for (const { resource } of (await store.list({ type: kind.type })).items) {
      const copy = zoneCopyForGlobal(resource, zone);
      if (copy) out.set(keyString(wireKey(copy)), { resource: copy, version: resourceVersion(copy) });
    }
  }
  return out;
}

/** One of the zone's own resources by key, as the global should hold it; undefined when gone or not its own. */
export async function zoneOwnResource(store: Store, zone: string, key: WireKey): Promise<OwnEntry | undefined> {
  try {
    const copy = zoneCopyForGlobal((await store.get(key)).resource, zone);
    return copy ? { resource: copy, version: resourceVersion(copy) } : undefined;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
