import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { startControlPlane } from '../../../src/control-plane/index.js';
import { dpServerModule } from '../../../src/control-plane/dp-server/index.js';
import { apiModules } from '../../../src/control-plane/server/modules.js';
import { certificateInfo } from '../../../src/core/pki.js';
import { ForbiddenError } from '../../../src/core/errors.js';
import { startCpSession } from '../../../src/egress/cp-session.js';
import { startEgress } from '../../../src/egress/index.js';
import type { EgressSnapshot } from '../../../src/resources/egress-config.js';
import { tmpDir } from '../../helpers/tmp.js';

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

test('control plane with the dp-server module: real zone tokens, a real egress, inspect through the API, a sidecar certificate through the egress', async (t) => {
  const modules = apiModules.includes(dpServerModule) ? apiModules : [...apiModules, dpServerModule];
  const cp = await startControlPlane({ dataDir: tmpDir(t), apiPort: 0, dpPort: 0, store: 'memory', zone: 'zone-1', modules, options: { dpAddress: '127.0.0.1' } });
  t.after(() => cp.stop());
  const dpUrl = `https://127.0.0.1:${cp.ctx.options.dpPortBound as number}`;
  const caCertFile = cp.ctx.options.dpCaCertFile as string;

  // An external service the egress terminates mTLS for: a plain TCP echo server.
  const echo = createTcpServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());
  const mesh = { type: 'Mesh', name: 'mesh-1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } };
  assert.equal((await api(cp.url, 'PUT', '/meshes/mesh-1', mesh)).status, 201);
  const es = { type: 'ExternalService', name: 'echo', mesh: 'mesh-1', tags: { 'kuma.io/service': 'echo' }, networking: { address: `127.0.0.1:${(echo.address() as AddressInfo).port}` } };
  const put = await api(cp.url, 'PUT', '/meshes/mesh-1/external-services/echo', es);
  assert.ok(put.status === 201, put.text);
  assert.equal((await api(cp.url, 'PUT', '/meshes/mesh-1/meshtrafficpermissions/allow-all', { type: 'MeshTrafficPermission', mesh: 'mesh-1', name: 'allow-all', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } })).status, 201);

  const ingressOnly = (await api(cp.url, 'POST', '/tokens/zone', { zone: 'zone-1', scope: ['ingress'], validFor: '1h' })).text;
  const refused = startCpSession({ cpAddress: dpUrl, caCertFile, token: ingressOnly, zoneEgress: { type: 'ZoneEgress', name: 'x', networking: { address: '127.0.0.1', port: 1 } }, version: '0.1.0', onSnapshot: () => ({ ok: true }) });
  t.after(() => refused.close());
  await assert.rejects(refused.ready, (err: unknown) => err instanceof ForbiddenError && err.message === "token cannot be used to authenticate zone entity (egress is out of token's scope: [ingress])");

  const egress = await startEgress({ address: '127.0.0.1', port: 0, adminAddress: '127.0.0.1', adminPort: 0 });
  t.after(() => egress.close());
  const token = (await api(cp.url, 'POST', '/tokens/zone', { zone: 'zone-1', scope: ['egress'], validFor: '1h' })).text;
  let routed!: (s: EgressSnapshot) => void;
  const withRoutes = new Promise<EgressSnapshot>((r) => (routed = r));
  const session = startCpSession({
    cpAddress: dpUrl,
    caCertFile,
    token,
    zoneEgress: { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.1', port: egress.port, admin: { port: egress.adminPort } } },
    version: '0.1.0',
    onSnapshot: (s) => {
      const r = egress.applySnapshot(s);
      if (r.ok && s.routes.length) routed(s);
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    },
  });
  t.after(() => session.close());
  // The stream may first carry a snapshot computed before the last PUT; the next one follows at once.
  const snap = await withRoutes;
  assert.deepEqual(
    snap.routes.map((r) => r.sni),
    ['echo{mesh=mesh-1}'],
  );

  const dump = await api(cp.url, 'GET', '/zoneegresses/egress-1/xds');
  assert.equal(dump.status, 200, dump.text);
  assert.equal((JSON.parse(dump.text) as { version: string }).version, snap.version);
  assert.doesNotMatch(dump.text, /BEGIN PRIVATE KEY/);
  const missing = await api(cp.url, 'GET', '/zoneegresses/ghost/stats');
  assert.equal(missing.status, 404);

  const issued = await api(cp.url, 'POST', '/meshes/mesh-1/certificates', { type: 'client', tags: { 'kuma.io/service': 'web' }, validFor: '1h' });
  assert.equal(issued.status, 200, issued.text);
  const cert = JSON.parse(issued.text) as { cert: string; key: string; caCert: string };
  assert.equal(certificateInfo(cert.cert).uris[0], 'spiffe://mesh-1/web');

  const sock = tls.connect({ host: '127.0.0.1', port: egress.port, servername: 'echo{mesh=mesh-1}', ca: cert.caCert, cert: cert.cert, key: cert.key, checkServerIdentity: () => undefined });
  t.after(() => sock.destroy());
  await once(sock, 'secureConnect');
  assert.deepEqual(certificateInfo(sock.getPeerX509Certificate()!.toString()).uris, ['spiffe://mesh-1/zone-egress']);
  sock.write('ping');
  const [data] = (await once(sock, 'data')) as [Buffer];
  assert.equal(data.toString(), 'ping');

  const insight = JSON.parse((await api(cp.url, 'GET', '/zoneegressinsights/egress-1')).text) as { subscriptions: { controlPlaneInstanceId: string }[] };
  assert.equal(insight.subscriptions[0].controlPlaneInstanceId, cp.instanceId);
});
