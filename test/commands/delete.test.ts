import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';

const FIXTURES = new URL('./apply/fixtures/', import.meta.url).pathname;

test('zonectl delete: global and mesh-scoped kinds, a missing one, a Mesh still in use, --json', async (t) => {
  const cp = await startTestControlPlane(t);
  const ctx = cliContext(t, cp.url);
  const zonectl = (...args: string[]) => runCli(args, { env: ctx.env });
  const applied = await zonectl('apply', '-f', `${FIXTURES}mesh.yaml`, '-f', `${FIXTURES}set.yaml`);
  assert.equal(applied.code, 0, applied.stderr);

  const [egress, es] = await Promise.all([zonectl('delete', 'zoneegress', 'zoneegress-1'), zonectl('delete', 'external-service', 'httpbin', '-m', 'default', '--json')]);
  assert.deepEqual([egress.code, egress.stdout, egress.stderr], [0, 'deleted ZoneEgress "zoneegress-1"\n', '']);
  assert.deepEqual([es.code, JSON.parse(es.stdout)], [0, { deleted: { type: 'ExternalService', name: 'httpbin', mesh: 'default' } }]);
  assert.equal((await cp.store.list({ type: 'ZoneEgress' })).total, 0);

  const [missing, usage] = await Promise.all([zonectl('delete', 'zoneegress', 'zoneegress-1'), zonectl('delete', 'zoneegress')]);
  assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error: there is no ZoneEgress with name "zoneegress-1"\n']);
  assert.equal(usage.code, 2);

  // The control plane refuses to delete a Mesh that still holds resources (409): input rejected.
  await cp.store.create({ type: 'ExternalService', mesh: 'default', name: 'db', networking: { address: 'db:5432' }, tags: { 'kuma.io/service': 'db' } });
  const inUse = await zonectl('delete', 'mesh', 'default');
  assert.equal(inUse.code, 3);
  assert.match(inUse.stderr, /^Error: .*db.*\n$/);
});
