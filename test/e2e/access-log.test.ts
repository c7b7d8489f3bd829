/**
 * MeshAccessLog end to end (in-process): a control plane and an egress fed by it. No policy: no
 * line. Applying a MeshAccessLog makes the egress log each connection to its file; deleting it
 * stops the log. The policy travels like any snapshot change.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AccessRecord } from '../../src/egress/access-log-format.js';
import { startEchoZone } from './echo-zone.js';
import { eventually } from './processes.js';

test('applying a MeshAccessLog makes the egress log connections; deleting it stops them', async (t) => {
  const { call, echoAddress, dir, egress, issue, through } = await startEchoZone(t);
  const log = join(dir, 'egress-access.log');
  const web = await issue();
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

  assert.equal(await through(web), 'ping');
  assert.equal(egress.snapshot()?.accessLog, undefined, 'no MeshAccessLog, no section');

  const mal = { type: 'MeshAccessLog', mesh: 'mesh-1', name: 'egress-log', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'echo' }, default: { backends: [{ type: 'File', file: { path: log } }] } }] } };
  assert.equal((await call('PUT', '/meshes/mesh-1/meshaccesslogs/egress-log', mal)).status, 201);
  await eventually('the egress runs the access log', async () => egress.snapshot()?.accessLog !== undefined);
  assert.equal(await through(web), 'ping');
  await eventually('the line in the file', async () => lines().length === 1);
  const r = JSON.parse(lines()[0]) as AccessRecord;
  assert.deepEqual(
    [r.egress, r.mesh, r.route, r.sni, r.identity, r.upstream, r.bytesIn, r.bytesOut, r.tls, r.close, r.permission],
    ['ze-1', 'mesh-1', 'terminating', 'echo{mesh=mesh-1}', 'spiffe://mesh-1/web', echoAddress, 4, 4, 'TLSv1.3', 'closed', { action: 'allow', policy: 'allow-all' }],
  );

  assert.equal((await call('DELETE', '/meshes/mesh-1/meshaccesslogs/egress-log')).status, 200);
  await eventually('the egress drops the access log', async () => egress.snapshot()?.accessLog === undefined);
  assert.equal(await through(web), 'ping');
  assert.equal(lines().length, 1, 'no line once the policy is gone');
});
