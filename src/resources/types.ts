/** A resource in Kuma's Universal (REST) format: meta fields with the spec fields flat beside them. */
export interface ResourceMeta {
  type: string;
  name: string;
  /** Only on mesh-scoped kinds. */
  mesh?: string;
  labels?: Record<string, string>;
  /** Set by the server (RFC 3339). */
  creationTime?: string;
  modificationTime?: string;
}

export type Resource = ResourceMeta & Record<string, unknown>;

/** Meta keys that are not part of a kind's spec. */
export const META_KEYS = new Set(['type', 'name', 'mesh', 'labels', 'creationTime', 'modificationTime', 'kri']);

export type { Violation } from '../core/errors.js';
