/**
 * The control plane takes Kuma's Kubernetes form on PUT and gives it back on GET with
 * `?format=kubernetes` (list and item); any other format value is a 400. Real server, port 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request, startTestControlPlane } from '../../helpers/cp.js';

const k8sEgress = (port: number, name = 'ze-1') => ({ apiVersion: 'kuma.io/v1alpha1', kind: 'ZoneEgress', metadata: { name, namespace: 'kuma-system' }, spec: { zone: 'zone-1', networking: { address: '10.0.0.1', port } } });

test('PUT in Kubernetes form stores the Universal resource; GET ?format=kubernetes|universal; violations carry Kubernetes paths', async (t) => {
  const cp = await startTestControlPlane(t, { clock: '2019-07-17T18:08:41Z' });
  const created = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: k8sEgress(10002) });
  assert.equal(created.status, 201, created.text);
  const universal = await request(`${cp.url}/zoneegresses/ze-1?format=universal`);
  assert.deepEqual(universal.json, { type: 'ZoneEgress', name: 'ze-1', creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z', labels: { 'kuma.io/proxy-type': 'egress' }, kri: 'kri_ze____ze-1_', zone: 'zone-1', networking: { address: '10.0.0.1', port: 10002 } });
  const k8s = await request(`${cp.url}/zoneegresses/ze-1?format=kubernetes`);
  assert.deepEqual(k8s.json, { ...k8sEgress(10002), metadata: { name: 'ze-1', namespace: 'kuma-system', creationTimestamp: '2019-07-17T18:08:41Z', labels: { 'kuma.io/proxy-type': 'egress' } } });
  const list = await request(`${cp.url}/zoneegresses?format=kubernetes`);
  assert.deepEqual(list.json, { total: 1, items: [k8s.json], next: null });

  const bad = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { ...k8sEgress(70000), metadata: { name: 'other' } } });
  assert.equal(bad.status, 400);
  assert.deepEqual((bad.json as { invalid_parameters: unknown }).invalid_parameters, [
    { field: 'metadata.name', reason: 'name from the URL has to be the same as in body' },
    { field: 'spec.networking.port', reason: 'port must be in the range [1, 65535]' },
  ]);
  const foreign = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ze-1' } } });
  assert.equal(foreign.status, 400);
  assert.deepEqual((foreign.json as { invalid_parameters: unknown }).invalid_parameters, [{ field: 'kind', reason: 'apps/v1 Deployment is not a kind this control plane serves: send a ZoneEgress (kuma.io/v1alpha1)' }]);

  for (const path of ['/zoneegresses', '/zoneegresses/ze-1', '/meshes/default/external-services']) {
    const r = await request(`${cp.url}${path}?format=yaml`);
    assert.equal(r.status, 400, path);
    assert.deepEqual((r.json as { invalid_parameters: unknown }).invalid_parameters, [{ field: 'format', reason: 'must be one of: universal, kubernetes' }], path);
  }
});

test('an ExternalService in Kubernetes form names its mesh in the top-level mesh field, as Kuma 2.14', async (t) => {
  const cp = await startTestControlPlane(t);
  assert.equal((await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { apiVersion: 'kuma.io/v1alpha1', kind: 'Mesh', metadata: { name: 'm1' } } })).status, 201);
  const es = { apiVersion: 'kuma.io/v1alpha1', kind: 'ExternalService', mesh: 'm1', metadata: { name: 'httpbin' }, spec: { tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:443' } } };
  const put = await request(`${cp.url}/meshes/m1/external-services/httpbin`, { method: 'PUT', body: es });
  assert.equal(put.status, 201, put.text);
  const wrongMesh = await request(`${cp.url}/meshes/m1/external-services/httpbin`, { method: 'PUT', body: { ...es, mesh: 'm2' } });
  assert.deepEqual((wrongMesh.json as { invalid_parameters: unknown }).invalid_parameters, [{ field: 'mesh', reason: 'mesh from the URL has to be the same as in body' }]);
  const got = (await request(`${cp.url}/meshes/m1/external-services/httpbin?format=kubernetes`)).json as Record<string, unknown>;
  assert.deepEqual({ ...got, metadata: { name: (got.metadata as { name: string }).name } }, es);
});
