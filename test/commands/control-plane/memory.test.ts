/**
 * `control-plane run --store memory` writes nothing to disk: keys and certificates stay in the
 * process, the admin token is printed once, and the dp-server's CA is printed for egresses.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { BIN } from '../../helpers/cli.js';
import { request } from '../../helpers/cp.js';
import { tmpDir } from '../../helpers/tmp.js';

test('--store memory without --data-dir leaves no file behind and prints the admin token once', async (t) => {
  const cwd = tmpDir(t, 'zonectl-mem-');
  const home = tmpDir(t, 'zonectl-home-');
  const proc = spawn(process.execPath, [BIN, 'control-plane', 'run', '--store', 'memory', '--api-port', '0', '--dp-port', '0'], {
    cwd,
    env: { ...process.env, HOME: home, ZONECTL_DATA_DIR: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/-----END CERTIFICATE-----/.test(out)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
  const url = /listening on (http:\/\/\S+)/.exec(out)![1];
  const token = /admin token: (\S+) \(in memory, shown once\)/.exec(out)?.[1];
  assert.ok(token, out);
  assert.match(out, /dp-server for egresses listening on https:\/\/127\.0\.0\.1:\d+ \(its CA is in memory: save the certificate below for dp run --ca-cert-file\)\n-----BEGIN CERTIFICATE-----/);
  const ca = new X509Certificate(out.slice(out.indexOf('-----BEGIN CERTIFICATE-----')));
  assert.match(ca.subject, /zonectl dp-server CA/);
  // The printed token is the admin token: it reads secrets from a non-loopback address.
  const secrets = await request(`${url}/global-secrets`, { headers: { authorization: `Bearer ${token}` }, localAddress: '127.0.0.2' });
  assert.equal(secrets.status, 200, secrets.text);
  assert.doesNotMatch(err, new RegExp(token!), 'the admin token must not be logged');
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.on('exit', resolve));
  assert.deepEqual(readdirSync(cwd), [], 'nothing may be written to the working directory');
  assert.deepEqual(readdirSync(home), [], 'nothing may be written to HOME');
});
