/**
 * Issue 7's flow with separate processes, as a user types it: `control-plane run`, `apply`,
 * `generate zone-token`, `dp run --proxy-type=egress`, `generate tls-certificate`,
 * `inspect zoneegresses`, `revoke zone-token`. Local servers play the zone-2 service and the
 * external service; the test acts as a sidecar with a certificate from the mesh CA.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually, freePort, spawnZonectl, type Proc } from './processes.js';
import { MESH_YAML, ok, sidecar, startBackend, writeCliConfig } from './user.js';

const MESH = 'default';

interface Cp {
  proc: Proc;
  url: string;
  dpUrl: string;
  caFile: string;
  env: Record<string, string>;
}

async function startCp(t: TestContext, dataDir: string, ports: { api: number; dp: number }, home: string): Promise<Cp> {
  const proc = spawnZonectl(t, ['control-plane', 'run', '--zone', 'zone-1', '--data-dir', dataDir, '--api-port', String(ports.api), '--dp-port', String(ports.dp), '--dp-address', '127.0.0.1']);
  const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
  const [, dpUrl, caFile] = await proc.waitFor(/dp-server for egresses listening on (https:\/\/\S+) \(egresses trust (\S+)\)/);
  return { proc, url, dpUrl, caFile, env: writeCliConfig(join(home, 'config'), 'e2e', url, home) };
}

interface Egress {
  proc: Proc;
  port: number;
  adminPort: number;
}

async function startEgressProc(t: TestContext, cp: Cp, dir: string, name: string, tokenFile: string): Promise<Egress> {
  const dataplaneFile = join(dir, `${name}.yaml`);
  writeFileSync(dataplaneFile, `type: ZoneEgress\nname: ${name}\nnetworking:\n  address: 127.0.0.1\n  port: {{ port }}\n  admin:\n    port: 0\n`);
  const proc = spawnZonectl(t, ['dp', 'run', '--proxy-type=egress', `--cp-address=${cp.dpUrl}`, '--ca-cert-file', cp.caFile, `--dataplane-token-file=${tokenFile}`, `--dataplane-file=${dataplaneFile}`, '--dataplane-var', 'port=0', '--drain-time', '1s']);
  const m = await proc.waitFor(/egress \S+ listening on [\d.]+:(\d+), admin [\d.]+:(\d+)/);
  const egress = { proc, port: Number(m[1]), adminPort: Number(m[2]) };
  await eventually(`${name} /ready`, async () => (await fetch(`http://127.0.0.1:${egress.adminPort}/ready`)).status === 200);
  return egress;
}

async function localServers(t: TestContext, cp: Cp, dir: string) {
  const backendPort = await startBackend(t, cp, dir, MESH);
  const external = http.createServer((req, res) => res.end(`external saw ${req.method} ${req.url}`));
  external.listen(0, '127.0.0.1');
  await once(external, 'listening');
  t.after(() => {
    external.close();
    external.closeAllConnections();
  });
  return { backendPort, externalPort: (external.address() as AddressInfo).port };
}

function manifests(backendPort: number, externalPort: number): string {
  return `${MESH_YAML}---
type: ZoneIngress
name: zoneingress-zone-2
zone: zone-2
networking:
  address: 127.0.0.1
  port: ${backendPort}
  advertisedAddress: 127.0.0.1
  advertisedPort: ${backendPort}
availableServices:
- mesh: ${MESH}
  instances: 1
  tags:
    kuma.io/service: backend
---
type: ExternalService
mesh: ${MESH}
name: httpbin
networking:
  address: 127.0.0.1:${externalPort}
tags:
  kuma.io/service: httpbin
---
# With mTLS on, external services are denied to everyone unless a MeshTrafficPermission allows.
type: MeshTrafficPermission
mesh: ${MESH}
name: allow-all
spec:
  targetRef:
    kind: Mesh
  from:
  - targetRef:
      kind: Mesh
    default:
      action: Allow
`;
}

describe('egress flow with separate processes', { concurrency: false }, () => {
  test('happy path, token rejections, propagation to two egresses, and a control-plane restart', async (t) => {
    const dir = tmpDir(t, 'zonectl-e2e-');
    const dataDir = join(dir, 'cp');
    const ports = { api: await freePort(), dp: await freePort() };
    let cp = await startCp(t, dataDir, ports, dir);

    // The mesh first (its CA signs the zone-2 service's certificate), then the rest.
    await ok(cp, ['apply', '-f', '-'], manifests(1, 1).split('---')[0]);
    const { backendPort, externalPort } = await localServers(t, cp, dir);
    const applied = await ok(cp, ['apply', '-f', '-'], manifests(backendPort, externalPort));
    assert.match(applied, /ZoneIngress "zoneingress-zone-2" created/);
    assert.match(applied, /ExternalService "httpbin" created/);

    const tokenFile = join(dir, 'egress.token');
    writeFileSync(tokenFile, await ok(cp, ['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '1h']), { mode: 0o600 });
    const egress1 = await startEgressProc(t, cp, dir, 'zoneegress-1', tokenFile);

    await ok(cp, ['generate', 'tls-certificate', '--type', 'client', '--mesh', MESH, '--tag', 'kuma.io/service=web', '--cert-file', join(dir, 'web.crt'), '--key-file', join(dir, 'web.key'), '--ca-cert-file-out', join(dir, 'ca.crt')]);
    const web = { cert: readFileSync(join(dir, 'web.crt'), 'utf8'), key: readFileSync(join(dir, 'web.key'), 'utf8'), ca: readFileSync(join(dir, 'ca.crt'), 'utf8') };

    // Cross-zone: passthrough, the sidecar's TLS ends at the zone-2 service.
    const cross = await sidecar(egress1.port, `backend{mesh=${MESH}}`, web, 'ping');
    assert.match(cross.peer, /URI:spiffe:\/\/default\/backend/);
    assert.equal(cross.reply, 'backend: ping');
    // External: mTLS terminated by the egress identity, then plain TCP to the external server.
    const ext = await sidecar(egress1.port, `httpbin{mesh=${MESH}}`, web, 'GET /anything HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n');
    assert.match(ext.peer, /URI:spiffe:\/\/default\/zone-egress/);
    assert.match(ext.reply, /^HTTP\/1\.1 200 OK[\s\S]*external saw GET \/anything$/);

    const inspect = await ok(cp, ['inspect', 'zoneegresses']);
    assert.match(inspect, /^zoneegress-1 +Online +/m);
    // The egress's admin output through the control plane; its private keys never leave it.
    const dump = await ok(cp, ['inspect', 'zoneegress', 'zoneegress-1', '--type', 'config-dump']);
    assert.match(dump, /backend\{mesh=default\}/);
    assert.doesNotMatch(dump, /BEGIN PRIVATE KEY/);
    assert.match(await ok(cp, ['inspect', 'zoneegress', 'zoneegress-1', '--type', 'stats']), /\S/);

    // Tokens the control plane must refuse, each with its own message, and the egress exits non-zero.
    const refuse = async (label: string, token: string, message: RegExp) => {
      const file = join(dir, `${label}.token`);
      writeFileSync(file, token, { mode: 0o600 });
      const dataplaneFile = join(dir, `${label}.yaml`);
      writeFileSync(dataplaneFile, `type: ZoneEgress\nname: ze-${label}\nnetworking:\n  address: 127.0.0.1\n  port: 0\n  admin:\n    port: 0\n`);
      const r = await runCli(['dp', 'run', '--proxy-type=egress', `--cp-address=${cp.dpUrl}`, '--ca-cert-file', cp.caFile, `--dataplane-token-file=${file}`, `--dataplane-file=${dataplaneFile}`], { env: cp.env });
      assert.notEqual(r.code, 0, `${label}: dp run should fail`);
      assert.match(r.stderr, message, `${label}: ${r.stderr}`);
    };
    await refuse('wrong-scope', await ok(cp, ['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'ingress', '--valid-for', '1h']), /egress is out of token's scope: \[ingress\]/);
    await refuse('wrong-zone', await ok(cp, ['generate', 'zone-token', '--zone', 'zone-9', '--scope', 'egress', '--valid-for', '1h']), /zone from requestor: zone-1 is different than in token: zone-9/);
    const revoked = await ok(cp, ['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '1h']);
    await ok(cp, ['revoke', 'zone-token', revoked]);
    await refuse('revoked', revoked, /token is revoked \(jti [0-9a-f-]+\)/);
    // Expired: signed offline with the control plane's own key, on a clock two hours back.
    const secret = (await (await fetch(`${cp.url}/global-secrets/zone-token-signing-key-1`)).json()) as { data: string };
    writeFileSync(join(dir, 'signing.pem'), Buffer.from(secret.data, 'base64'), { mode: 0o600 });
    const old = await runCli(['generate', 'zone-token', '--signing-key-path', join(dir, 'signing.pem'), '--kid', '1', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '1h'], { env: { ...cp.env, ZONECTL_FIXED_CLOCK: new Date(Date.now() - 2 * 3_600_000).toISOString() } });
    assert.equal(old.code, 0, old.stderr);
    await refuse('expired', old.stdout, /token expired at \S+ \(\S+ ago\)/);

    // A change reaches two egresses within 1 s.
    const egress2 = await startEgressProc(t, cp, dir, 'zoneegress-2', tokenFile);
    const sniOf = async (e: Egress) => JSON.stringify(await (await fetch(`http://127.0.0.1:${e.adminPort}/config_dump`)).json());
    const es2 = `type: ExternalService\nmesh: ${MESH}\nname: api\nnetworking:\n  address: 127.0.0.1:${externalPort}\ntags:\n  kuma.io/service: api\n`;
    await ok(cp, ['apply', '-f', '-'], es2);
    const applyDone = Date.now();
    await Promise.all([egress1, egress2].map((e) => eventually('the new route', async () => (await sniOf(e)).includes(`api{mesh=${MESH}}`), 5000)));
    const elapsed = Date.now() - applyDone;
    assert.ok(elapsed < 1000, `the change took ${elapsed} ms to reach both egresses`);

    // The control plane goes away: the egress keeps routing on its last snapshot...
    assert.equal(await cp.proc.stop('SIGTERM'), 0);
    assert.equal((await sidecar(egress1.port, `backend{mesh=${MESH}}`, web, 'still there?')).reply, 'backend: still there?');
    // ...and when it comes back on the same ports, the egress reconnects and is Online again.
    cp = await startCp(t, dataDir, ports, dir);
    await eventually('zoneegress-1 Online after the restart', async () => {
      const overview = (await (await fetch(`${cp.url}/zoneegresses/zoneegress-1/_overview`)).json()) as { zoneEgressInsight?: { subscriptions?: { disconnectTime?: string }[] } };
      const subs = overview.zoneEgressInsight?.subscriptions ?? [];
      return subs.length >= 2 && !subs[subs.length - 1].disconnectTime;
    }, 15_000);
    assert.match(await ok(cp, ['inspect', 'zoneegresses']), /^zoneegress-1 +Online +/m);
    assert.equal((await sidecar(egress1.port, `api{mesh=${MESH}}`, web, 'GET /after HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n')).reply.endsWith('external saw GET /after'), true);

    // SIGTERM drains and exits 0.
    assert.equal(await egress1.proc.stop('SIGTERM'), 0);
    assert.equal(await egress2.proc.stop('SIGTERM'), 0);
  });
});
