/**
 * A GlobalSecret that a Mesh's CA backend or an ExternalService's TLS reads cannot be deleted:
 * 400 with Kuma's message (pkg/core/secrets/manager/validator.go), through the real server and CLI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function inUse(secret: string, mesh: string, backend: string): string {
  return `The secret "${secret}" that you are trying to remove is currently in use in Mesh "${mesh}" in mTLS backend "${backend}". Please remove the reference from the "${backend}" backend before removing the secret.`;
}

test('secrets used by a mesh CA (builtin or provided, enabled or not) or an ExternalService cannot be deleted', async (t) => {
  const cp = await startTestControlPlane(t);
  const put = async (path: string, body: unknown) => {
    const res = await request(`${cp.url}${path}`, { method: 'PUT', body });
    assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.text}`);
  };
  for (const name of ['p-cert', 'p-key', 'es-ca', 'unused']) await put(`/global-secrets/${name}`, { type: 'GlobalSecret', name, data: b64(name) });
  const providedBackend = { name: 'ca-2', type: 'provided', conf: { cert: { secret: 'p-cert' }, key: { secret: 'p-key' } } };
  await put('/meshes/m1', { type: 'Mesh', name: 'm1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } });
  await put('/meshes/m2', { type: 'Mesh', name: 'm2', mtls: { backends: [providedBackend] } });
  await put('/meshes/m1/external-services/db', {
    type: 'ExternalService',
    mesh: 'm1',
    name: 'db',
    tags: { 'kuma.io/service': 'db' },
    networking: { address: 'db.example.com:5432', tls: { enabled: true, caCert: { secret: 'es-ca' } } },
  });

  const del = await request(`${cp.url}/global-secrets/m1.ca-builtin-key-ca-1`, { method: 'DELETE' });
  assert.equal(del.status, 400);
  assert.deepEqual(del.json, {
    type: '/std-errors',
    status: 400,
    title: 'Could not delete a resource',
    detail: 'Resource is not valid',
    invalid_parameters: [{ field: 'name', reason: inUse('m1.ca-builtin-key-ca-1', 'm1', 'ca-1') }],
    details: 'Resource is not valid',
    causes: [{ field: 'name', message: inUse('m1.ca-builtin-key-ca-1', 'm1', 'ca-1') }],
  });
  const provided = await request(`${cp.url}/global-secrets/p-key`, { method: 'DELETE' });
  assert.equal((provided.json as { detail: string }).detail, 'Resource is not valid');
  assert.equal((provided.json as { invalid_parameters: { reason: string }[] }).invalid_parameters[0].reason, inUse('p-key', 'm2', 'ca-2'));
  const es = await request(`${cp.url}/global-secrets/es-ca`, { method: 'DELETE' });
  assert.equal(es.status, 400);
  assert.equal(
    (es.json as { invalid_parameters: { reason: string }[] }).invalid_parameters[0].reason,
    'The secret "es-ca" that you are trying to remove is currently in use in ExternalService "db" of Mesh "m1" in networking.tls.caCert. Please remove the reference from the ExternalService before removing the secret.',
  );

  const { env } = cliContext(t, cp.url);
  const cli = await runCli(['delete', 'global-secret', 'm1.ca-builtin-cert-ca-1'], { env });
  assert.equal(cli.code, 3);
  assert.equal(cli.stdout, '');
  assert.equal(cli.stderr, `Error: Resource is not valid\n  * name: ${inUse('m1.ca-builtin-cert-ca-1', 'm1', 'ca-1')}\n`);
  // Still there, so the CA still works.
  for (const name of ['m1.ca-builtin-cert-ca-1', 'm1.ca-builtin-key-ca-1', 'p-key', 'es-ca']) assert.equal((await request(`${cp.url}/global-secrets/${name}`)).status, 200, name);

  assert.equal((await request(`${cp.url}/global-secrets/unused`, { method: 'DELETE' })).status, 200);
  await put('/meshes/m2', { type: 'Mesh', name: 'm2' });
  assert.equal((await request(`${cp.url}/global-secrets/p-key`, { method: 'DELETE' })).status, 200, 'no longer referenced');
  assert.equal((await request(`${cp.url}/global-secrets/nope`, { method: 'DELETE' })).status, 404);
});
