/**
 * Admin access from a non-localhost address: the test connects from 127.0.0.2, which is a
 * loopback interface on Linux but not "localhost" to the server (Kuma's rule: 127.0.0.1/::1 only),
 * so the real socket path decides, no mocked handler.
 */
import assert from 'node:assert/strict';
import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { createCA, issueCertificate } from '../../../src/core/pki.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';
import { tmpDir } from '../../helpers/tmp.js';

const REMOTE = '127.0.0.2';
const mesh = (name: string) => ({ type: 'Mesh', name });

describe('admin access', () => {
  test('the admin token is created at first start, 0600, and kept across restarts', async (t) => {
    const cp = await startTestControlPlane(t);
    const file = join(cp.dataDir, 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), cp.adminToken);
    assert.ok(cp.adminToken.length >= 40);
    await cp.instance.stop();
    const again = await startTestControlPlane(t, { dataDir: cp.dataDir });
    assert.equal(again.adminToken, cp.adminToken);
  });

  test('non-admins may read resources but not write them; the admin token grants writes', async (t) => {
    const cp = await startTestControlPlane(t);
    await cp.store.create(mesh('m1'));
    const read = await request(`${cp.url}/meshes/m1`, { localAddress: REMOTE });
    assert.equal(read.status, 200);
    const write = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: mesh('m2'), localAddress: REMOTE });
    assert.equal(write.status, 403);
    const p = write.json as Record<string, string>;
    assert.equal(p.title, 'Access Denied');
    assert.equal(
      p.detail,
      'user "mesh-system:anonymous/mesh-system:unauthenticated" cannot access the resource of type "Mesh": admin rights are needed (call from localhost, or send "Authorization: Bearer <token>" with the token from <data-dir>/admin-token)',
    );
    const del = await request(`${cp.url}/meshes/m1`, { method: 'DELETE', localAddress: REMOTE });
    assert.equal(del.status, 403);
    const bad = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: mesh('m2'), localAddress: REMOTE, headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(bad.status, 401);
    assert.equal((bad.json as Record<string, string>).title, 'Unauthorized');
    const ok = await request(`${cp.url}/meshes/m2`, { method: 'PUT', body: mesh('m2'), localAddress: REMOTE, headers: { authorization: `Bearer ${cp.adminToken}` } });
    assert.equal(ok.status, 201);
    assert.equal((await cp.store.list({ type: 'Mesh' })).total, 2);
  });

  test('secrets are admin-only for reads too', async (t) => {
    const cp = await startTestControlPlane(t);
    await cp.store.create({ type: 'GlobalSecret', name: 's1', data: 'c2VjcmV0' });
    assert.equal((await request(`${cp.url}/global-secrets`, { localAddress: REMOTE })).status, 403);
    assert.equal((await request(`${cp.url}/global-secrets/s1`, { localAddress: REMOTE })).status, 403);
    const asAdmin = await request(`${cp.url}/global-secrets/s1`, { localAddress: REMOTE, headers: { authorization: `Bearer ${cp.adminToken}` } });
    assert.equal(asAdmin.status, 200);
    assert.equal((asAdmin.json as { data: string }).data, 'c2VjcmV0');
    assert.equal((await request(`${cp.url}/global-secrets/s1`)).status, 200, 'localhost is admin');
  });

  test('--no-localhost-is-admin: localhost needs the token too', async (t) => {
    const cp = await startTestControlPlane(t, { localhostIsAdmin: false });
    assert.equal((await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: mesh('m1') })).status, 403);
    assert.equal((await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: mesh('m1'), headers: { authorization: `Bearer ${cp.adminToken}` } })).status, 201);
    assert.equal((await request(`${cp.url}/meshes/m1`)).status, 200, 'reads stay open');
  });

  test('HTTPS with --api-tls-auto: a self-signed CA in the data dir that clients can trust', async (t) => {
    const cp = await startTestControlPlane(t, { apiTlsAuto: true });
    const tlsUrl = cp.instance.tlsUrl!;
    assert.match(tlsUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(cp.instance.tlsCaFile!, 'utf8');
    assert.equal(statSync(join(cp.dataDir, 'api-tls', 'tls.key')).mode & 0o777, 0o600);
    const res = await request(`${tlsUrl}/zoneegresses`, { ca });
    assert.equal(res.status, 200);
    const page = await request(`${tlsUrl}/zoneegresses?size=1`, { ca });
    assert.deepEqual(page.json, { total: 0, items: [], next: null });
    await assert.rejects(request(`${tlsUrl}/`), /self-signed|unable to verify|certificate/i, 'untrusted without the CA');
  });

  test('HTTPS with the operator certificate (--api-tls-cert/--api-tls-key); one without the other is refused', async (t) => {
    const dir = tmpDir(t);
    const ca = await createCA({ commonName: 'test CA', validForMs: 3600_000 });
    const leaf = await issueCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', validForMs: 3600_000 });
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    writeFileSync(cert, leaf.certPem);
    writeFileSync(key, leaf.keyPem, { mode: 0o600 });
    const cp = await startTestControlPlane(t, { apiTlsCert: cert, apiTlsKey: key });
    const res = await request(`${cp.instance.tlsUrl}/meshes`, { ca: ca.certPem });
    assert.equal(res.status, 200);
    await assert.rejects(startTestControlPlane(t, { apiTlsCert: cert }), (e: unknown) => e instanceof UsageError && /--api-tls-cert and --api-tls-key go together/.test(e.message));
  });
});
