/**
 * kumactl behaviours of the CLI that issue 10 names as defects, through the real CLI and server.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import { cliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { request, startTestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';

test('AGE counts from modificationTime; inspect zoneegress takes kumactl\'s --include-eds and --config-dump', async (t) => {
  let now = new Date('2019-07-10T00:00:00Z');
  const clock: Clock = { now: () => new Date(now.getTime()) };
  const cp = await startTestControlPlane(t, { clock });
  await cp.store.create({ type: 'Mesh', name: 'm1' });
  now = new Date('2019-07-17T17:08:41Z');
  await cp.store.update({ type: 'Mesh', name: 'm1', routing: { zoneEgress: false } });
  const { env } = cliContext(t, cp.url);
  const get = await runCli(['get', 'meshes'], { env });
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^m1 .* 1h\n$/m, 'modified 1h before the fixed CLI clock, created 7d before');
  const inspect = await runCli(['inspect', 'zoneegress', 'ghost', '--config-dump', '--include-eds'], { env });
  assert.equal(inspect.code, 1, inspect.stderr);
  assert.doesNotMatch(inspect.stderr, /Nonexistent flag|Unexpected argument/);
});

test('generate tls-certificate --cert-file - --key-file - writes both PEMs to stdout', async (t) => {
  const cp = await startTestControlPlane(t);
  await request(`${cp.url}/meshes/m1`, { method: 'PUT', body: { type: 'Mesh', name: 'm1', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } } });
  const { env } = cliContext(t, cp.url);
  const res = await runCli(['generate', 'tls-certificate', '--type', 'client', '--mesh', 'm1', '--tag', 'kuma.io/service=web', '--cert-file', '-', '--key-file', '-'], { env, cwd: tmpDir(t) });
  assert.equal(res.code, 0, res.stderr);
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(res.stdout)?.[0];
  assert.ok(cert, res.stdout);
  assert.match(res.stdout, /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----\n$/);
  assert.equal(new X509Certificate(cert).subjectAltName?.includes('spiffe://m1/web'), true);
  assert.match(res.stderr, /^issued a client certificate for spiffe:\/\/m1\/web/);
});

test('config control-planes: add refuses a bad URL and checks a token; view redacts; remove says who is active', async (t) => {
  const cp = await startTestControlPlane(t, { localhostIsAdmin: false });
  const dir = tmpDir(t);
  const env = { ZONECTL_CONFIG: join(dir, 'config'), HOME: dir };
  const bad = await runCli(['config', 'control-planes', 'add', '--name', 'x', '--address', 'not-a-url', '--skip-check'], { env });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'Error: --address "not-a-url" is not a valid URL of an API server: give http(s)://host:port, e.g. http://127.0.0.1:5681\n');
  const wrongToken = await runCli(['config', 'control-planes', 'add', '--name', 'cp', '--address', cp.url, '--auth-type', 'tokens', '--auth-conf', 'token=wrong'], { env });
  assert.equal(wrongToken.code, 3, wrongToken.stderr);
  assert.match(wrongToken.stderr, /admin token in the Authorization header is not valid/);
  const ok = await runCli(['config', 'control-planes', 'add', '--name', 'cp', '--address', cp.url, '--auth-type', 'tokens', '--auth-conf', `token=${cp.adminToken}`], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const view = await runCli(['config', 'view'], { env });
  assert.doesNotMatch(view.stdout, new RegExp(cp.adminToken));
  assert.match(view.stdout, /token: "?\[redacted\]"?/);
  assert.match((await runCli(['config', 'view', '--show-secrets'], { env })).stdout, new RegExp(cp.adminToken));
  assert.match(readFileSync(join(dir, 'config'), 'utf8'), new RegExp(cp.adminToken), 'the file keeps the token');

  const removed = await runCli(['config', 'control-planes', 'remove', 'cp'], { env });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, 'removed Control Plane "cp"\nswitched active Control Plane to "local"\n');
  const last = await runCli(['config', 'control-planes', 'remove', 'local'], { env });
  assert.equal(last.stdout, 'removed Control Plane "local"\nthere is no active Control Plane left. Use `zonectl config control-planes add` to add a Control Plane and make it active\n');
});
