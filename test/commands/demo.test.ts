import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('npm start: the demo routes one connection through each route and shows the egress Online', async () => {
  const r = await runCli(['demo', '--once'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const step = (n: number) => lines.find((l) => l.startsWith(`[${n}/11]`)) ?? '';
  assert.match(step(2), /Mesh "default" created \(builtin mTLS, routing\.zoneEgress: true\)/);
  assert.match(step(5), /MeshTrafficPermission "allow-web-to-httpbin" created \(httpbin: only web may connect\)/);
  assert.match(step(6), /zonectl generate zone-token .*--scope egress/);
  assert.match(step(7), /zonectl dp run --proxy-type=egress +listening on 127\.0\.0\.1:\d+, admin 127\.0\.0\.1:\d+, 2 routes/);
  // Passthrough: the sidecar's TLS ends at the zone-2 service itself, not at the egress.
  assert.match(step(8), /passthrough, TLS end to end with spiffe:\/\/default\/backend.*"backend in zone-2 says: hello from web"/);
  // External service: the egress terminates mTLS with its mesh identity and relays the HTTP request.
  assert.match(step(9), /mTLS terminated by spiffe:\/\/default\/zone-egress: HTTP\/1\.1 200 OK .*"path":"\/get"/);
  // A client no MeshTrafficPermission allows is refused after the handshake.
  assert.match(step(10), /attacker -> httpbin \(external\) +denied: closed right after the handshake, nothing reached httpbin \(rejected\.denied: 1\)/);
  assert.match(r.stdout, /NAME +STATUS +LAST CONNECTED AGO +LAST UPDATED AGO +TOTAL UPDATES +TOTAL ERRORS +ZONECTL VERSION\nzoneegress-1 +Online /);
  assert.match(r.stdout, /stopped: egress drained, control plane closed, temporary data removed/);
});
