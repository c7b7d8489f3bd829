/**
 * The wire contract between an egress and the control plane's dp-server (docs/egress-protocol.md).
 * Shared here because the producer (control-plane) and the consumer (egress) may not import
 * each other (DESIGN.md). All requests carry `Authorization: Bearer <zone token>`.
 */
import type { EgressSnapshot } from './egress-config.js';
import type { Resource } from './types.js';

export const EGRESS_PROTOCOL_PATHS = {
  /** POST BootstrapRequest -> 200 BootstrapResponse | problem details. */
  bootstrap: '/bootstrap',
  /** GET ?name=<egress>&version=<zonectl version> -> 200 application/x-ndjson of StreamMessage lines. */
  stream: '/egress/v1/stream',
  /** POST AckRequest -> 200 {} | problem details. */
  ack: '/egress/v1/ack',
} as const;

export const NDJSON = 'application/x-ndjson';

/** Modelled on kuma-dp's bootstrap request (reference/kuma-2.14/egress/bootstrap/kuma-dp-request). */
export interface BootstrapRequest {
  proxyType: 'egress';
  /** The ZoneEgress resource, as an object or as JSON text (kuma-dp sends text). */
  dataplaneResource: Resource | string;
  version: { kumaDp: { version: string } };
}

export interface BootstrapResponse {
  name: string;
  /** The control plane's zone, now also the ZoneEgress's `zone`. */
  zone: string;
  controlPlane: { instanceId: string; version: string };
}

/** First line of every stream. `streamId` is the insight subscription id, used to ack. */
export interface HelloMessage {
  type: 'hello';
  streamId: string;
  controlPlaneInstanceId: string;
  /** The server writes at least one line this often; silence for 3x this means a dead stream. */
  heartbeatMs: number;
}

export interface SnapshotMessage {
  type: 'snapshot';
  snapshot: EgressSnapshot;
}

export interface HeartbeatMessage {
  type: 'heartbeat';
}

/**
 * Last line before the control plane ends a stream on purpose; the egress logs `message` (what
 * happened and what to do). `token-invalid`: the zone token was revoked, expired or its signing
 * key was deleted; reconnecting with the same token will fail.
 */
export interface ClosingMessage {
  type: 'closing';
  reason: 'token-invalid';
  message: string;
}

export type StreamMessage = HelloMessage | SnapshotMessage | HeartbeatMessage | ClosingMessage;

export interface AckRequest {
  streamId: string;
  version: string;
  accepted: boolean;
  /** Why the egress rejected the version (accepted: false). */
  reason?: string;
}
