/**
 * What both demos (`npm start` and `npm start -- --multizone`) set up alike: the mesh and its
 * policies, mesh identities for the sidecars and services, the egress started against a dp-server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { silentLogger } from '../../core/log.js';
import { parseJsonBody, type ApiClient } from '../../client/api-client.js';
import { startEgressFromControlPlane, type EgressFromCp } from '../../egress/cp-session-run.js';
import type { Resource } from '../../resources/types.js';
import type { SidecarIdentity } from './sidecar.js';

export const MESH = 'default';

/** Builtin mTLS and `routing.zoneEgress: true`: what the egress needs. */
export const DEMO_MESH: Resource = { type: 'Mesh', name: MESH, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } };

/** The local HTTP service as an ExternalService reached through the egress. */
export function httpbinExternalService(port: number): Resource {
  return { type: 'ExternalService', mesh: MESH, name: 'httpbin', networking: { address: `127.0.0.1:${port}` }, tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' } };
}

/** With mTLS on, Kuma 2.14 denies every client of an external service that no MeshTrafficPermission allows: allow web only. */
export const ALLOW_WEB_TO_HTTPBIN: Resource = {
  type: 'MeshTrafficPermission',
  mesh: MESH,
  name: 'allow-web-to-httpbin',
  spec: { targetRef: { kind: 'MeshService', name: 'httpbin' }, from: [{ targetRef: { kind: 'MeshSubset', tags: { 'kuma.io/service': 'web' } }, default: { action: 'Allow' } }] },
};

/** The request a sidecar sends to httpbin through the egress. */
export const HTTPBIN_GET = 'GET /get HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n';

/** A certificate of `service` from the mesh CA of the control plane behind `client`. */
export async function issueIdentity(client: ApiClient, type: 'client' | 'server', service: string): Promise<SidecarIdentity> {
  const res = await client.request('POST', `/meshes/${MESH}/certificates`, { body: { type, tags: { 'kuma.io/service': service }, validFor: '1h' } });
  const c = parseJsonBody<{ cert: string; key: string; caCert: string }>(res, client.url(`/meshes/${MESH}/certificates`).href);
  return { certPem: c.cert, keyPem: c.key, caPem: c.caCert };
}

export interface DemoEgressOptions {
  dataDir: string;
  /** The dp-server's https URL. */
  cpAddress: string;
  caCertFile: string | undefined;
  tokenFile: string;
  version: string;
}

/**
 * Writes zoneegress.yaml into the data dir and starts egress `zoneegress-1` on free ports, as
 * `zonectl dp run --proxy-type=egress` would; its stop goes first into `cleanups`.
 */
export async function startDemoEgress(opts: DemoEgressOptions, cleanups: (() => Promise<void> | void)[]): Promise<EgressFromCp> {
  const dataplaneFile = join(opts.dataDir, 'zoneegress.yaml');
  writeFileSync(dataplaneFile, stringify({ type: 'ZoneEgress', name: 'zoneegress-1', networking: { address: '127.0.0.1', port: 0, admin: { port: 0 } } }));
  const egress = await startEgressFromControlPlane({
    cpAddress: opts.cpAddress,
    caCertFile: opts.caCertFile,
    tokenFile: opts.tokenFile,
    dataplaneFile,
    version: opts.version,
    drainTimeMs: 1000,
    clientHelloTimeoutMs: 5000,
    logger: silentLogger(),
  });
  cleanups.unshift(async () => {
    await egress.session.close();
    await egress.egress.close();
  });
  return egress;
}
