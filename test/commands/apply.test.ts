import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { cliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { assertGolden } from '../helpers/golden.js';

const FIXTURES = new URL('./apply/fixtures/', import.meta.url).pathname;
const fx = (name: string): string => `${FIXTURES}${name}`;

async function setup(t: TestContext, opts: Parameters<typeof startTestControlPlane>[1] = {}) {
  const cp = await startTestControlPlane(t, { clock: '2019-07-17T16:05:36Z', ...opts });
  const ctx = cliContext(t, cp.url);
  return { cp, ctx, zonectl: (args: string[], stdin?: string) => runCli(args, { env: ctx.env, stdin }) };
}

async function serveText(t: TestContext, text: string): Promise<string> {
  const server = http.createServer((req, res) => (req.url === '/zoneegress.yaml' ? res.end(text) : res.writeHead(404).end('not here')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('zonectl apply', () => {
  test('from files: one line per resource, Meshes first, a summary; applying again changes nothing', async (t) => {
    const { cp, zonectl } = await setup(t);
    const first = await zonectl(['apply', '-f', fx('set.yaml'), '-f', fx('mesh.yaml')]);
    assert.equal(first.code, 0, first.stderr);
    assertGolden('apply/files.txt', first.stdout);
    assert.equal((await cp.store.get({ type: 'ZoneEgress', name: 'zoneegress-1' })).resource.zone, 'zone-1');
    const before = await cp.store.get({ type: 'ZoneEgress', name: 'zoneegress-1' });
    const again = await zonectl(['apply', '-f', fx('set.yaml'), '-f', fx('mesh.yaml')]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first.stdout.replaceAll(' created', ' unchanged'));
    assert.match(again.stdout, /\n5 unchanged\n$/);
    // Nothing was written: the version is the same.
    assert.equal((await cp.store.get({ type: 'ZoneEgress', name: 'zoneegress-1' })).version, before.version);
  });

  test('a changed resource is updated, the others unchanged; -o yaml and -o json print the result', async (t) => {
    const { zonectl } = await setup(t);
    const doc = (port: number) => `type: Mesh\nname: default\n---\ntype: ZoneEgress\nname: ze\nnetworking:\n  address: 10.0.0.5\n  port: ${port}\n---\ntype: ZoneEgress\nname: ze-new${port}\nnetworking:\n  address: 10.0.0.6\n  port: 10002\n`;
    assert.equal((await zonectl(['apply', '-f', '-'], doc(10002))).code, 0);
    const r = await zonectl(['apply', '-f', '-'], doc(10003));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Mesh "default" unchanged\nZoneEgress "ze" updated\nZoneEgress "ze-new10003" created\n1 created, 1 updated, 1 unchanged\n');
    const j = await zonectl(['apply', '-f', '-', '-o', 'json'], doc(10003));
    assert.deepEqual(JSON.parse(j.stdout).summary, { created: 0, updated: 0, unchanged: 3 });
    const y = await zonectl(['apply', '-f', '-', '-o', 'yaml'], doc(10004));
    assert.match(y.stdout, /^items:\n/);
    assert.match(y.stdout, /summary:\n {2}created: 1\n {2}unchanged: 1\n {2}updated: 1\n/);
  });

  test('a mesh-scoped resource before its Mesh in the input still lands (Meshes are written first)', async (t) => {
    const { cp, zonectl } = await setup(t);
    const doc = 'type: ExternalService\nname: db\nmesh: m2\nnetworking:\n  address: db.example.com:5432\ntags:\n  kuma.io/service: db\n---\ntype: Mesh\nname: m2\n';
    const r = await zonectl(['apply', '-f', '-'], doc);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Mesh "m2" created\nExternalService "db" created in mesh "m2"\n2 created\n');
    assert.equal((await cp.store.get({ type: 'ExternalService', mesh: 'm2', name: 'db' })).resource.name, 'db');
  });

  test('from a directory (recursive, .yaml/.yml/.json only), from stdin and from an http URL', async (t) => {
    const { cp, zonectl } = await setup(t);
    const dir = await zonectl(['apply', '-f', fx('dir')]);
    assert.equal(dir.code, 0, dir.stderr);
    assert.equal(dir.stdout, 'Mesh "default" created\nZoneEgress "zoneegress-dir" created\n2 created\n');

    const stdin = await zonectl(['apply', '-f', '-'], 'type: ZoneEgress\nname: from-stdin\nnetworking:\n  address: 10.0.0.5\n  port: 10002\n');
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(stdin.stdout, 'ZoneEgress "from-stdin" created\n1 created\n');

    const base = await serveText(t, readFileSync(fx('template.yaml'), 'utf8'));
    const url = await zonectl(['apply', '-f', `${base}/zoneegress.yaml`, '--var', 'name=from-url,zone.name=zone-9', '--var', 'address=10.0.0.6']);
    assert.equal(url.code, 0, url.stderr);
    assert.equal(url.stdout, 'ZoneEgress "from-url" created\n1 created\n');
    const stored = (await cp.store.get({ type: 'ZoneEgress', name: 'from-url' })).resource;
    assert.equal(stored.zone, 'zone-9');
    assert.deepEqual(stored.networking, { address: '10.0.0.6', port: 10002 });

    const missing = await zonectl(['apply', '-f', `${base}/nope.yaml`]);
    assert.deepEqual([missing.code, missing.stderr], [1, `Error: could not download ${base}/nope.yaml: HTTP 404 (check the URL)\n`]);
  });

  test('--var: dotted keys, comma lists, and a value with commas', async (t) => {
    const { zonectl } = await setup(t);
    const doc = 'type: ZoneEgress\nname: "{{ name }}"\nzone: "{{ zone.name }}"\nlabels:\n  team: "{{ teams }}"\nnetworking:\n  address: "{{ address }}"\n  port: 10002\n';
    const r = await zonectl(['apply', '-f', '-', '--dry-run', '--var', 'name=egress-one,zone.name=z1', '--var', 'teams=a,b', '--var', 'address=10.0.0.7'], doc);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'labels:\n  team: a,b\nname: egress-one\ntype: ZoneEgress\nnetworking:\n  address: 10.0.0.7\n  port: 10002\nzone: z1\n');
    const bad = await zonectl(['apply', '-f', '-', '--var', 'novalue'], doc);
    assert.deepEqual([bad.code, bad.stderr], [2, 'Error: invalid --var "novalue": expected key=value, e.g. --var address=10.0.0.1\n']);
  });

  test('all or nothing: one bad document and nothing is sent; every problem has file:line; exit 3', async (t) => {
    const { cp, zonectl } = await setup(t);
    const r = await zonectl(['apply', '-f', fx('set.yaml'), '-f', fx('invalid.yaml'), '-f', fx('mesh.yaml')]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assertGolden('apply/invalid.stderr.txt', r.stderr.replaceAll(FIXTURES, '<fixtures>/'));
    assert.match(r.stderr, /invalid\.yaml:11:3: ZoneEgress "bad-egress": networking\.port: /);
    for (const type of ['Mesh', 'ZoneEgress', 'ZoneIngress']) assert.equal((await cp.store.list({ type })).total, 0, `no ${type} may be stored`);
  });

  test('--dry-run prints the resolved resources and needs no control plane', async (t) => {
    const ctx = cliContext(t, 'http://127.0.0.1:1');
    const r = await runCli(['apply', '--dry-run', '-f', fx('set.yaml'), '-f', fx('mesh.yaml')], { env: ctx.env });
    assert.equal(r.code, 0, r.stderr);
    assertGolden('apply/dry-run.yaml', r.stdout);
  });

  test('--json reports what was done per resource', async (t) => {
    const { zonectl } = await setup(t);
    const r = await zonectl(['apply', '-f', fx('mesh.yaml'), '-f', fx('set.yaml'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).items[4], { type: 'ExternalService', name: 'httpbin', mesh: 'default', action: 'created' });
  });

  test('an unreachable control plane: one line naming the URL, exit 1, no stack trace', async (t) => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((r) => server.close(() => r()));
    const ctx = cliContext(t, url);
    const r = await runCli(['apply', '-f', fx('mesh.yaml')], { env: ctx.env });
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: failed to apply Mesh "default": control plane at ${url} refused the connection (is 'zonectl control-plane run' running?)\n`]);
    const get = await runCli(['get', 'meshes', '--json'], { env: ctx.env });
    assert.deepEqual([get.code, JSON.parse(get.stderr)], [1, { error: { code: 'unavailable', message: `control plane at ${url} refused the connection (is 'zonectl control-plane run' running?)`, exitCode: 1 } }]);
  });

  test('a failing server (5xx) exits 1 with its detail', async (t) => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: '/std-errors', status: 500, title: 'Internal Server Error', detail: 'database is locked' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await runCli(['apply', '-f', fx('mesh.yaml')], { env: cliContext(t, url).env });
    assert.deepEqual([r.code, r.stderr], [1, `Error: failed to apply Mesh "default": control plane at ${url} failed: database is locked (HTTP 500; its log has the details)\n`]);
  });
});

describe('auth and TLS', () => {
  test('without localhost-is-admin: no token is refused (exit 3), the tokens auth plugin gets in', async (t) => {
    const cp = await startTestControlPlane(t, { localhostIsAdmin: false });
    const anonymous = await runCli(['apply', '-f', fx('mesh.yaml')], { env: cliContext(t, cp.url).env });
    assert.equal(anonymous.code, 3);
    assert.match(anonymous.stderr, /^Error: failed to apply Mesh "default": control plane at http:\/\/127\.0\.0\.1:\d+ (did not accept the credentials|denied access): .*admin token/);
    const admin = cliContext(t, cp.url, { authType: 'tokens', authConf: { token: cp.adminToken } });
    const ok = await runCli(['apply', '-f', fx('mesh.yaml')], { env: admin.env });
    assert.deepEqual([ok.code, ok.stdout], [0, 'Mesh "default" created\n1 created\n'], ok.stderr);
  });

  test('HTTPS with the CA file of the context; without it the TLS error says what to do', async (t) => {
    const cp = await startTestControlPlane(t, { apiTlsAuto: true });
    const tlsUrl = cp.instance.tlsUrl!;
    const trusted = cliContext(t, tlsUrl, { caCertFile: cp.instance.tlsCaFile });
    const ok = await runCli(['apply', '-f', fx('mesh.yaml')], { env: trusted.env });
    assert.deepEqual([ok.code, ok.stdout], [0, 'Mesh "default" created\n1 created\n'], ok.stderr);
    const untrusted = await runCli(['get', 'meshes'], { env: cliContext(t, tlsUrl).env });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`^Error: control plane at ${tlsUrl} failed the TLS handshake: .*\\(give the CA with 'zonectl config control-planes add --ca-cert-file', or --skip-verify to not check it\\)\\n$`));
  });
});
