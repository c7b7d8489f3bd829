/**
 * MeshAccessLog end to end (in-process): a control plane and an egress fed by it. No policy: no
 * line. Applying a MeshAccessLog makes the egress log each connection to its file; deleting it
 * stops the log. The policy travels like any snapshot change.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { silentLogger } from '../../src/core/log.js';
import type { AccessRecord } from '../../src/egress/access-log-format.js';
import { startEgressFromControlPlane } from '../../src/egress/cp-session-run.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually } from './processes.js';

interface Identity {
  cert: string;
  key: string;
  caCert: string;
}

test('applying a MeshAccessLog makes the egress log connections; deleting it stops them', async (t) => {
  const cp = await startTestControlPlane(t, { zone: 'zone-1' });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
  await once(echo, 'listening');
  t.after(() => echo.close());
  const echoAddress = `127.0.0.1:${(echo.address() as AddressInfo).port}`;

  assert.equal((await call('PUT', '/meshes/mesh-1', { type: 'Mesh', name: 'mesh-1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } })).status, 201);
  assert.equal((await call('PUT', '/meshes/mesh-1/external-services/echo', { type: 'ExternalService', mesh: 'mesh-1', name: 'echo', tags: { 'kuma.io/service': 'echo' }, networking: { address: echoAddress } })).status, 201);
  assert.equal((await call('PUT', '/meshes/mesh-1/meshtrafficpermissions/allow-all', { type: 'MeshTrafficPermission', mesh: 'mesh-1', name: 'allow-all', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } })).status, 201);

  const dir = tmpDir(t);
  const log = join(dir, 'egress-access.log');
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

  const web = JSON.parse((await call('POST', '/meshes/mesh-1/certificates', { type: 'client', tags: { 'kuma.io/service': 'web' } })).text) as Identity;
  const through = async (): Promise<string> => {
    const s = tls.connect({ host: '127.0.0.1', port: egress.port, servername: 'echo{mesh=mesh-1}', cert: web.cert, key: web.key, ca: web.caCert, checkServerIdentity: () => undefined });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    await once(s, 'secureConnect');
    s.end('ping');
    await once(s, 'close');
    return got;
  };
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

  assert.equal(await through(), 'ping');
  assert.equal(egress.snapshot()?.accessLog, undefined, 'no MeshAccessLog, no section');

  const mal = { type: 'MeshAccessLog', mesh: 'mesh-1', name: 'egress-log', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'echo' }, default: { backends: [{ type: 'File', file: { path: log } }] } }] } };
  assert.equal((await call('PUT', '/meshes/mesh-1/meshaccesslogs/egress-log', mal)).status, 201);
  await eventually('the egress runs the access log', async () => egress.snapshot()?.accessLog !== undefined);
  assert.equal(await through(), 'ping');
  await eventually('the line in the file', async () => lines().length === 1);
  const r = JSON.parse(lines()[0]) as AccessRecord;
  assert.deepEqual(
    [r.egress, r.mesh, r.route, r.sni, r.identity, r.upstream, r.bytesIn, r.bytesOut, r.tls, r.close, r.permission],
    ['ze-1', 'mesh-1', 'terminating', 'echo{mesh=mesh-1}', 'spiffe://mesh-1/web', echoAddress, 4, 4, 'TLSv1.3', 'closed', { action: 'allow', policy: 'allow-all' }],
  );

  assert.equal((await call('DELETE', '/meshes/mesh-1/meshaccesslogs/egress-log')).status, 200);
  await eventually('the egress drops the access log', async () => egress.snapshot()?.accessLog === undefined);
  assert.equal(await through(), 'ping');
  assert.equal(lines().length, 1, 'no line once the policy is gone');
});
