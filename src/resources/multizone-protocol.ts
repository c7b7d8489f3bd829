/**
 * The wire contract between a zone control plane and the global (docs/multizone.md), shared here
 * like the egress protocol: one module of the control plane produces it and another consumes it,
 * on two machines. Every request carries `Authorization: Bearer <zone token with scope cp>`.
 *
 * Sync is by resource versions, like Kuma's KDS v2 (delta xDS: the zone opens the stream with
 * `initial_resource_versions`, the server answers with what differs): every synced resource has a
 * version that is a hash of its content, and each side tells the other which versions it holds.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { Resource } from './types.js';

export const KDS_PATHS = {
  /** POST ZoneHello -> 200 application/x-ndjson of GlobalMessage lines (the zone's long-lived stream). */
  globalToZone: '/kds/v1/global-to-zone',
  /** POST KdsAck -> 200 {} (the zone acknowledges or rejects a `changes` message). */
  ack: '/kds/v1/ack',
  /** POST ZoneChanges -> 200 {} (the zone's own resources, applied on the global before the answer). */
  zoneToGlobal: '/kds/v1/zone-to-global',
} as const;

/** Kuma's KDS port. */
export const DEFAULT_KDS_PORT = 5685;

/** `type/mesh/name` of a resource (mesh empty for global kinds): the key of inventories. */
export type ResourceKeyString = string;

export interface WireKey {
  type: string;
  mesh?: string;
  name: string;
}

/** The first request of a zone: who it is and what it already holds from the global. */
export interface ZoneHello {
  zone: string;
  /** Random per zone control-plane process: a reconnect of the same process replaces its old stream. */
  instanceId: string;
  /** zonectl version of the zone control plane (ZONE-CP VERSION of `inspect zones`). */
  version: string;
  /** Version of every resource the zone holds from the global, by key. Empty on a first start. */
  inventory: Record<ResourceKeyString, string>;
}

export interface HelloMessage {
  type: 'hello';
  /** Names this stream in acks and zone-to-global requests; the ZoneInsight subscription id. */
  streamId: string;
  globalInstanceId: string;
  /** The global writes at least one line this often; silence for 3x this means a dead stream. */
  heartbeatMs: number;
  /** Version of every resource the global holds from this zone, by the zone's own key. */
  zoneInventory: Record<ResourceKeyString, string>;
}

/** Resources to create or replace, and keys to delete, in one versioned step. */
export interface ChangesMessage {
  type: 'changes';
  /** Per stream, increasing: acked or rejected by the zone. */
  nonce: number;
  upserts: Resource[];
  deletes: WireKey[];
  /** Last message of the initial sync: after it, the zone holds everything the global has for it. */
  synced?: boolean;
}

export interface HeartbeatMessage {
  type: 'heartbeat';
}

export type GlobalMessage = HelloMessage | ChangesMessage | HeartbeatMessage;

export interface KdsAck {
  streamId: string;
  nonce: number;
  accepted: boolean;
  /** Why the zone rejected the step (accepted: false). */
  reason?: string;
}

/** The zone's own resources (ZoneEgress, ZoneIngress, insights) that changed since the global's last answer. */
export interface ZoneChanges {
  streamId: string;
  upserts: Resource[];
  deletes: WireKey[];
}

export function keyString(k: WireKey): ResourceKeyString {
  return `${k.type}/${k.mesh ?? ''}/${k.name}`;
}

export function parseKeyString(key: ResourceKeyString): WireKey {
  const [type, mesh, ...rest] = key.split('/');
  return mesh ? { type, mesh, name: rest.join('/') } : { type, name: rest.join('/') };
}

export function wireKey(r: Resource): WireKey {
  return r.mesh ? { type: r.type, mesh: r.mesh, name: r.name } : { type: r.type, name: r.name };
}

/**
 * The version of a synced resource: a hash of its content, without the fields each store sets
 * for itself (timestamps) or derives (kri). Equal content, equal version, on any control plane.
 */
export function resourceVersion(r: Resource): string {
  const { creationTime: _c, modificationTime: _m, kri: _k, ...rest } = r;
  if (rest.mesh === undefined || rest.mesh === '') delete rest.mesh;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 20);
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/**
 * The name a zone's resource gets on the global: Kuma's `hash.HashedName(mesh, name, zone)`
 * (pkg/kds/hash/hash.go): `<name>-<fnv64a(mesh+name+zone), hex, mapped to k8s' safe alphabet>`,
 * so the same name in two zones never collides. The original name is kept in `kuma.io/display-name`.
 */
export function hashedName(mesh: string, name: string, ...extra: string[]): string {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from([mesh, name, ...extra].join(''), 'utf8')) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK64;
  }
  const hex = h.toString(16).padStart(16, '0');
  const safe = [...hex].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
  return `${name.slice(0, 253 - 17)}-${safe}`;
}
