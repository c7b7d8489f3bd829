/**
 * A small live mesh for the web view's tests, all in this process on 127.0.0.1: a control plane
 * with a Mesh (builtin mTLS, egress routing), a zone-2 ingress fronting a TLS echo service, an
 * external HTTP service, two egresses connected to the dp-server, and a sidecar that sends
 * traffic through the first egress on both routes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startHttpService, startTlsEcho } from '../../src/cli/demo/services.js';
import { sidecarRequest, type SidecarIdentity } from '../../src/cli/demo/sidecar.js';
import { silentLogger } from '../../src/core/log.js';
import { startEgressFromControlPlane, type EgressFromCp } from '../../src/egress/cp-session-run.js';
import { startTestControlPlane, request, type TestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';

export const MESH = 'default';

export interface LiveMesh {
  cp: TestControlPlane;
  egresses: Record<string, EgressFromCp>;
  /** Sends `n` exchanges through egress `name` (half cross-zone, half external). */
  traffic(name: string, n: number): Promise<void>;
  /** Stops an egress: its stream ends, so the control plane records the disconnect. */
  stopEgress(name: string): Promise<void>;
  /** GET on the API as JSON (with the admin token), or as text when it is not JSON. */
  api<T = unknown>(path: string): Promise<T>;
}

export interface LiveMeshOptions {
  egresses?: string[];
  /** false: only the admin token makes a caller admin, also on localhost (as for a remote browser). */
  localhostIsAdmin?: boolean;
}

export async function startLiveMesh(t: TestContext, opts: LiveMeshOptions = {}): Promise<LiveMesh> {
  const egressNames = opts.egresses ?? ['zoneegress-1', 'zoneegress-2'];
  const dir = tmpDir(t, 'zonectl-gui-');
  const cp = await startTestControlPlane(t, { zone: 'zone-1', localhostIsAdmin: opts.localhostIsAdmin });
  const headers = { authorization: `Bearer ${cp.adminToken}` };
  const put = async (path: string, body: unknown) => {
    const r = await request(`${cp.url}${path}`, { method: 'PUT', body, headers });
    if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  };
  const post = async (path: string, body: unknown) => {
    const r = await request(`${cp.url}${path}`, { method: 'POST', body, headers });
    if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
    return r;
  };
  await put(`/meshes/${MESH}`, { type: 'Mesh', name: MESH, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } });
  const identity = async (type: 'client' | 'server', service: string): Promise<SidecarIdentity> => {
    const c = (await post(`/meshes/${MESH}/certificates`, { type, tags: { 'kuma.io/service': service }, validFor: '1h' })).json as { cert: string; key: string; caCert: string };
    return { certPem: c.cert, keyPem: c.key, caPem: c.caCert };
  };
  const backendId = await identity('server', 'backend');
  const backend = await startTlsEcho('backend', backendId.certPem, backendId.keyPem);
  const httpbin = await startHttpService();
  t.after(async () => {
    await backend.close();
    await httpbin.close();
  });
  await put('/zoneingresses/zoneingress-zone-2', {
    type: 'ZoneIngress',
    name: 'zoneingress-zone-2',
    zone: 'zone-2',
    networking: { address: '127.0.0.1', port: backend.port, advertisedAddress: '127.0.0.1', advertisedPort: backend.port },
    availableServices: [{ mesh: MESH, instances: 2, tags: { 'kuma.io/service': 'backend' } }],
  });
  await put(`/meshes/${MESH}/external-services/httpbin`, {
    type: 'ExternalService',
    mesh: MESH,
    name: 'httpbin',
    networking: { address: `127.0.0.1:${httpbin.port}` },
    tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
  });
  // External services deny everyone without a MeshTrafficPermission (Kuma 2.14's egress default).
  await put(`/meshes/${MESH}/meshtrafficpermissions/allow-web`, {
    type: 'MeshTrafficPermission',
    mesh: MESH,
    name: 'allow-web',
    spec: { targetRef: { kind: 'MeshService', name: 'httpbin' }, from: [{ targetRef: { kind: 'MeshSubset', tags: { 'kuma.io/service': 'web' } }, default: { action: 'Allow' } }] },
  });
  const token = (await post('/tokens/zone', { zone: 'zone-1', scope: ['egress'], validFor: '1h' })).text;
  writeFileSync(join(dir, 'egress.token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'ze.yaml'), 'type: ZoneEgress\nname: {{ name }}\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n');

  const egresses: Record<string, EgressFromCp> = {};
  const stopped = new Set<string>();
  const stopEgress = async (name: string) => {
    if (stopped.has(name)) return;
    stopped.add(name);
    await egresses[name].session.close();
    await egresses[name].egress.close();
  };
  for (const name of egressNames) {
    egresses[name] = await startEgressFromControlPlane({
      cpAddress: `https://127.0.0.1:${String(cp.instance.ctx.options.dpPortBound)}`,
      caCertFile: String(cp.instance.ctx.options.dpCaCertFile),
      tokenFile: join(dir, 'egress.token'),
      dataplaneFile: join(dir, 'ze.yaml'),
      dataplaneVars: { name },
      version: '0.1.0',
      drainTimeMs: 200,
      clientHelloTimeoutMs: 2000,
      logger: silentLogger(),
    });
    t.after(() => stopEgress(name));
    await egresses[name].session.ready;
  }
  const web = await identity('client', 'web');
  const traffic = async (name: string, n: number) => {
    const port = egresses[name].egress.port;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        await sidecarRequest({ host: '127.0.0.1', port, sni: `backend{mesh=${MESH}}`, identity: web, payload: `hello ${i}\n`, expectUri: `spiffe://${MESH}/backend`, until: new RegExp(`hello ${i}\\n`) });
      } else {
        await sidecarRequest({ host: '127.0.0.1', port, sni: `httpbin{mesh=${MESH}}`, identity: web, payload: 'GET /get HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n', expectUri: `spiffe://${MESH}/zone-egress` });
      }
    }
  };
  const api = async <T>(path: string): Promise<T> => {
    const r = await request(`${cp.url}${path}`, { headers });
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return (r.json ?? r.text) as T;
  };
  return { cp, egresses, traffic, stopEgress, api };
}
