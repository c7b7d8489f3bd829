/**
 * Rotating a mesh CA with an egress connected (in-process): the control plane refuses to swap
 * the CA of a mesh while mTLS is on; the operator turns mTLS off, enables a new backend, and the
 * egress receives the new identity and CA bundle on its stream. Sidecars with certificates of the
 * old CA are then refused, sidecars of the new CA get through.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { silentLogger } from '../../src/core/log.js';
import { startEgressFromControlPlane } from '../../src/egress/cp-session-run.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually } from './processes.js';

interface Identity {
  cert: string;
  key: string;
  caCert: string;
}

test('CA rotation: refused while mTLS is on; after off -> new backend, the egress serves the new CA only', async (t) => {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());

  const mesh = (backend: string | undefined) => ({
    type: 'Mesh',
    name: 'mesh-1',
    ...(backend ? { mtls: { enabledBackend: backend, backends: [{ name: backend, type: 'builtin' }] } } : {}),
    routing: { zoneEgress: backend !== undefined },
  });
  assert.equal((await call('PUT', '/meshes/mesh-1', mesh('ca-1'))).status, 201);
  const es = { type: 'ExternalService', mesh: 'mesh-1', name: 'echo', tags: { 'kuma.io/service': 'echo' }, networking: { address: `127.0.0.1:${(echo.address() as AddressInfo).port}` } };
  assert.equal((await call('PUT', '/meshes/mesh-1/external-services/echo', es)).status, 201);
  assert.equal((await call('PUT', '/meshes/mesh-1/meshtrafficpermissions/allow-all', { type: 'MeshTrafficPermission', mesh: 'mesh-1', name: 'allow-all', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } })).status, 201);

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

  const old = await issue();
  assert.equal(await through(old), 'ping');

  // Swapping the CA under live mTLS would cut every sidecar off at once: refused with the field.
  const swap = await call('PUT', '/meshes/mesh-1', mesh('ca-2'));
  assert.equal(swap.status, 400);
  assert.match(swap.text, /"field":"mtls.enabledBackend"/);

  // The supported path: mTLS off (and egress routing, which needs it), then the new backend.
  assert.equal((await call('PUT', '/meshes/mesh-1', mesh(undefined))).status, 200);
  await eventually('the egress drops the mesh', async () => egress.snapshot()?.identities.length === 0);
  assert.equal((await call('PUT', '/meshes/mesh-1', mesh('ca-2'))).status, 200);
  await eventually('the egress serves the new CA', async () => {
    const id = egress.snapshot()?.identities[0];
    return id !== undefined && id.caPem !== old.caCert;
  });

  const fresh = await issue();
  assert.notEqual(fresh.caCert, old.caCert);
  assert.equal(await through(fresh), 'ping');
  assert.notEqual(await through(old), 'ping', 'a certificate of the old CA must not get through');
});
