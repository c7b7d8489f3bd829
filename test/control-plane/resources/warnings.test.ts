/**
 * The `warnings` of a PUT: Kuma 2.14's deprecations of MeshTrafficPermission and MeshAccessLog
 * (their Deprecations() at v2.14.3, verbatim), and zonectl's warning for a second ExternalService
 * with the same kuma.io/service in a mesh; `zonectl apply` prints them. Real server, real CLI.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliContext } from '../../cli/context.js';
import { runCli } from '../../helpers/cli.js';
import { request, startTestControlPlane } from '../../helpers/cp.js';

test("PUT of a policy in the deprecated forms answers Kuma's deprecation warnings", async (t) => {
  const cp = await startTestControlPlane(t);
  assert.equal((await request(`${cp.url}/meshes/default`, { method: 'PUT', body: { type: 'Mesh', name: 'default' } })).status, 201);
  const mtp = await request(`${cp.url}/meshes/default/meshtrafficpermissions/legacy`, {
    method: 'PUT',
    body: {
      type: 'MeshTrafficPermission',
      name: 'legacy',
      mesh: 'default',
      spec: {
        targetRef: { kind: 'MeshService', name: 'httpbin' },
        from: [
          { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } },
          { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
        ],
      },
    },
  });
  assert.equal(mtp.status, 201, mtp.text);
  assert.deepEqual(mtp.json, {
    warnings: [
      "'from' field is deprecated and will be removed in 3.0, use 'rules' with MeshIdentity (spiffeId) instead",
      "MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead",
      "MeshService value for 'targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' tag instead",
    ],
  });
  const current = await request(`${cp.url}/meshes/default/meshtrafficpermissions/current`, {
    method: 'PUT',
    body: { type: 'MeshTrafficPermission', name: 'current', mesh: 'default', spec: { targetRef: { kind: 'Mesh' }, rules: [{ default: { allow: [{ spiffeID: { type: 'Exact', value: 'spiffe://default/web' } }] } }] } },
  });
  assert.equal(current.status, 201, current.text);
  assert.deepEqual(current.json, {}, 'no warnings without the deprecated forms');
  const mal = await request(`${cp.url}/meshes/default/meshaccesslogs/legacy`, {
    method: 'PUT',
    body: { type: 'MeshAccessLog', name: 'legacy', mesh: 'default', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { backends: [{ type: 'File', file: { path: '/tmp/access.log' } }] } }] } },
  });
  assert.equal(mal.status, 201, mal.text);
  assert.deepEqual(mal.json, { warnings: ["'from' field is deprecated, use 'rules' instead"] });
});

test('a second ExternalService with the same kuma.io/service is accepted with a warning naming the other; apply prints it', async (t) => {
  const cp = await startTestControlPlane(t);
  await request(`${cp.url}/meshes/default`, { method: 'PUT', body: { type: 'Mesh', name: 'default' } });
  const es = (name: string, tags: Record<string, string>) => ({ type: 'ExternalService', name, mesh: 'default', networking: { address: 'httpbin.org:443' }, tags });
  const first = await request(`${cp.url}/meshes/default/external-services/httpbin-b`, { method: 'PUT', body: es('httpbin-b', { 'kuma.io/service': 'httpbin' }) });
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.json, {});
  // Other zones do not overlap: an egress of zone-1 never serves the one of zone-2.
  const z1 = await request(`${cp.url}/meshes/default/external-services/z1`, { method: 'PUT', body: es('z1', { 'kuma.io/service': 'db', 'kuma.io/zone': 'zone-1' }) });
  const z2 = await request(`${cp.url}/meshes/default/external-services/z2`, { method: 'PUT', body: es('z2', { 'kuma.io/service': 'db', 'kuma.io/zone': 'zone-2' }) });
  assert.deepEqual([z1.status, z1.json, z2.status, z2.json], [201, {}, 201, {}]);

  const { env, dir } = cliContext(t, cp.url);
  const file = join(dir, 'es.yaml');
  writeFileSync(file, 'type: ExternalService\nname: httpbin-a\nmesh: default\nnetworking:\n  address: httpbin.org:443\ntags:\n  kuma.io/service: httpbin\n');
  const applied = await runCli(['apply', '-f', file], { env });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(
    applied.stderr,
    'warning: ExternalService "httpbin-a" in mesh "default": kuma.io/service "httpbin" is also the service of ExternalService "httpbin-b" in mesh "default": an egress routes httpbin to one ExternalService only, "httpbin-a" (the first by name), and skips the other\n',
  );
  assert.equal((await cp.store.list({ type: 'ExternalService', mesh: 'default' })).total, 4, 'both are stored, as Kuma does');
  const again = await request(`${cp.url}/meshes/default/external-services/httpbin-b`, { method: 'PUT', body: es('httpbin-b', { 'kuma.io/service': 'httpbin' }) });
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, {
    warnings: ['kuma.io/service "httpbin" is also the service of ExternalService "httpbin-a" in mesh "default": an egress routes httpbin to one ExternalService only, "httpbin-a" (the first by name), and skips the other'],
  });
});
