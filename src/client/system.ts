/** The control plane's index (`GET /`): who answers at an address. */
import { InternalError } from '../core/errors.js';
import type { ApiClient } from './api-client.js';

/** zonectl's `{hostname, version, product, instanceId, clusterId}`; kuma-cp adds `tagline`, `version`. */
export interface ControlPlaneIndex {
  hostname?: string;
  version?: string;
  product?: string;
  tagline?: string;
  instanceId?: string;
  clusterId?: string;
  /** zonectl's control plane says its zone (`--zone`); kuma-cp does not. */
  zone?: string;
}

/** Fetches `GET /` and checks that it is a control plane's index (zonectl's or kuma-cp's). */
export async function getIndex(client: ApiClient): Promise<ControlPlaneIndex> {
  const index = await client.requestJson<ControlPlaneIndex>('GET', '/');
  if (index === null || typeof index !== 'object' || (typeof index.version !== 'string' && typeof index.product !== 'string' && typeof index.tagline !== 'string')) {
    throw new InternalError(`${client.baseUrl} answered, but not like a control plane's API (no version in GET /); check the address and port (the API is on 5681)`);
  }
  return index;
}
