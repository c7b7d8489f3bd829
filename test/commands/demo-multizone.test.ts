import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('npm start -- --multizone: a global and two zones, the egress in zone-1 routes to zone-2, both zones Online', async () => {
  const r = await runCli(['demo', '--multizone', '--once'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const step = (n: number) => lines.find((l) => l.startsWith(`[${n}/10]`)) ?? '';
  assert.match(step(3), /Mesh "default", ExternalService "httpbin", MeshTrafficPermission in both zones after \d+ ms/);
  assert.match(step(5), /ZoneIngress "ingress-[a-z0-9]{16}" \(zone-2\) in zone-1 after \d+ ms/);
  assert.match(step(7), /listening on 127\.0\.0\.1:\d+, 2 routes/);
  assert.match(step(8), /passthrough to zone-2's ingress, TLS end to end with spiffe:\/\/default\/backend.*"backend in zone-2 says: hello from web"/);
  assert.match(step(9), /mTLS terminated by spiffe:\/\/default\/zone-egress: HTTP\/1\.1 200 OK/);
  assert.match(r.stdout, /NAME +STATUS +LAST CONNECTED AGO +LAST UPDATED AGO +TOTAL UPDATES +TOTAL ERRORS +ZONE-CP VERSION\nzone-1 +Online .*\nzone-2 +Online /);
  assert.match(r.stdout, /stopped: egress drained, control planes closed, temporary data removed/);
});
