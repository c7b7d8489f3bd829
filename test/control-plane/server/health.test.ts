import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { startControlPlane } from '../../../src/control-plane/index.js';
import { createLogger, textLine } from '../../../src/core/log.js';
import { runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

test('/healthy and /ready answer without admin rights; /ready checks the store', async (t) => {
  const cp = await startControlPlane({ dataDir: tmpDir(t), apiPort: 0, dpPort: 0, store: 'memory', localhostIsAdmin: false });
  t.after(() => cp.stop());
  const healthy = await fetch(`${cp.url}/healthy`);
  assert.equal(healthy.status, 200);
  assert.deepEqual(await healthy.json(), { status: 'ok' });
  const ready = await fetch(`${cp.url}/ready`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as { status: string; checks: Record<string, string> };
  assert.equal(body.status, 'ready');
  assert.equal(body.checks.store, 'ok');
  // The same caller is not an admin: a write is refused.
  const put = await fetch(`${cp.url}/meshes/m1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'Mesh', name: 'm1' }) });
  assert.equal(put.status, 403);
});

test('--log-level with a bad value is a usage error naming the valid levels (both servers)', async () => {
  for (const cmd of [['control-plane', 'run'], ['dp', 'run', '--routes-file', 'x.yaml']]) {
    const r = await runCli([...cmd, '--log-level', 'verbose']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Expected --log-level=verbose to be one of: debug, info, warn, error/);
  }
});

test('text log lines: time, level, logger, message and fields; no stack for an expected warning', () => {
  const json = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), name: 'control-plane', msg: 'egress admin API is down', egress: 'ze-1', err: { message: 'ECONNREFUSED', stack: 'Error: ECONNREFUSED\n    at x' } });
  assert.equal(textLine(json), '03:04:05.678 WARN  control-plane: egress admin API is down egress=ze-1 err="ECONNREFUSED"\n');
  assert.match(textLine(JSON.stringify({ level: 30, time: 0, name: 'egress', msg: 'ok', sni: 'a b' })), /INFO {2}egress: ok sni="a b"\n$/);
});

test('an egress admin API that is down is logged as a warning naming it, without a stack trace', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const cp = await startControlPlane({ dataDir: tmpDir(t), apiPort: 0, dpPort: 0, store: 'memory', log: createLogger('control-plane', { destination: sink, format: 'json' }) });
  t.after(() => cp.stop());
  await cp.store.create({ type: 'ZoneEgress', name: 'ze-1', zone: 'default', networking: { address: '127.0.0.1', port: 10002, admin: { port: 1 } } });
  const res = await fetch(`${cp.url}/zoneegresses/ze-1/stats`);
  assert.equal(res.status, 503);
  const failed = lines.map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string; err?: unknown }).filter((l) => l.msg === 'request failed');
  assert.equal(failed.length, 1, lines.join('\n'));
  assert.equal(failed[0].level, 40);
  assert.match(failed[0].reason ?? '', /^cannot reach the admin API of zone egress ze-1 at http:\/\/127\.0\.0\.1:1\/stats: ECONNREFUSED/);
  assert.equal(failed[0].err, undefined);
  assert.doesNotMatch(lines.join('\n'), /\bat .*\.js:\d+/);
});
