/**
 * Rotating a mesh CA with an egress connected (in-process): the control plane refuses to swap
 * the CA of a mesh while mTLS is on; the operator turns mTLS off, enables a new backend, and the
 * egress receives the new identity and CA bundle on its stream. Sidecars with certificates of the
 * old CA are then refused, sidecars of the new CA get through.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meshOne as mesh, startEchoZone } from './echo-zone.js';
import { eventually } from './processes.js';

test('CA rotation: refused while mTLS is on; after off -> new backend, the egress serves the new CA only', async (t) => {
  const { call, egress, issue, through } = await startEchoZone(t);

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
