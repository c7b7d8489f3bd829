/**
 * One zone in this process for the egress tests that drive a control plane's API directly: a
 * control plane, a plain TCP echo as ExternalService `echo` of mesh-1 (builtin mTLS, egress
 * routing, a MeshTrafficPermission allowing the mesh), and an egress fed by the dp-server with an
 * egress-scoped zone token. A sidecar's exchange through it is `through(identity)`.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import tls from 'node:tls';
import { silentLogger } from '../../src/core/log.js';
import { startEgressFromControlPlane, type EgressFromCp } from '../../src/egress/cp-session-run.js';
import { startTestControlPlane, type TestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';

export interface Identity {
  cert: string;
  key: string;
  caCert: string;
}

export interface EchoZone extends Pick<EgressFromCp, 'egress' | 'session'> {
  cp: TestControlPlane;
  /** The API with a JSON body; status and text of the answer. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  /** `127.0.0.1:PORT` of the echo service. */
  echoAddress: string;
  dir: string;
  /** A client identity of mesh-1's CA for kuma.io/service=web. */
  issue(): Promise<Identity>;
  /** TLS to the egress as sidecar `id` with SNI echo{mesh=mesh-1}: sends "ping", returns the reply or `refused: REASON`. */
  through(id: Identity): Promise<string>;
}

/** Mesh mesh-1 with builtin CA `backend`, or without mTLS (and egress routing) when undefined. */
export const meshOne = (backend: string | undefined) => ({
  type: 'Mesh',
  name: 'mesh-1',
  ...(backend ? { mtls: { enabledBackend: backend, backends: [{ name: backend, type: 'builtin' }] } } : {}),
  routing: { zoneEgress: backend !== undefined },
});

export async function startEchoZone(t: TestContext): Promise<EchoZone> {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const created = async (path: string, body: unknown) => {
    const r = await call('PUT', path, body);
    if (r.status !== 201) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  };
  const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());
  const echoAddress = `127.0.0.1:${(echo.address() as AddressInfo).port}`;

  await created('/meshes/mesh-1', meshOne('ca-1'));
  await created('/meshes/mesh-1/external-services/echo', { type: 'ExternalService', mesh: 'mesh-1', name: 'echo', tags: { 'kuma.io/service': 'echo' }, networking: { address: echoAddress } });
  await created('/meshes/mesh-1/meshtrafficpermissions/allow-all', { type: 'MeshTrafficPermission', mesh: 'mesh-1', name: 'allow-all', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } });

  const dir = tmpDir(t);
  writeFileSync(join(dir, 'token'), (await call('POST', '/tokens/zone', { zone: 'zone-1', scope: ['egress'], validFor: '1h' })).text, { mode: 0o600 });
  writeFileSync(join(dir, 'ze.yaml'), 'type: ZoneEgress\nname: ze-1\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n');
  const { egress, session } = await startEgressFromControlPlane({
    cpAddress: `https://127.0.0.1:${String(cp.instance.ctx.options.dpPortBound)}`,
    caCertFile: String(cp.instance.ctx.options.dpCaCertFile),
    tokenFile: join(dir, 'token'),
    dataplaneFile: join(dir, 'ze.yaml'),
    version: 'test',
    drainTimeMs: 100,
    clientHelloTimeoutMs: 2000,
    logger: silentLogger(),
  });
  t.after(async () => {
    await session.close();
    await egress.close();
  });
  await session.ready;

  const issue = async (): Promise<Identity> => JSON.parse((await call('POST', '/meshes/mesh-1/certificates', { type: 'client', tags: { 'kuma.io/service': 'web' } })).text) as Identity;
  const through = async (id: Identity): Promise<string> => {
    const s = tls.connect({ host: '127.0.0.1', port: egress.port, servername: 'echo{mesh=mesh-1}', cert: id.cert, key: id.key, ca: id.caCert, checkServerIdentity: () => undefined });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    try {
      await once(s, 'secureConnect');
      s.end('ping');
      await once(s, 'end');
      return got;
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    } finally {
      s.destroy();
    }
  };
  return { cp, call, echoAddress, dir, egress, session, issue, through };
}
