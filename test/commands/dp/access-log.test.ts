import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { AccessRecord } from '../../../src/egress/access-log-format.js';
import { BIN, ROOT, runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

const hello = readFileSync(new URL('../../fixtures/egress/node-sni.bin', import.meta.url));
const SNI = 'backend{mesh=mesh-1}';

async function upstream(t: TestContext): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('ok'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

async function through(port: number): Promise<void> {
  const c = net.connect({ host: '127.0.0.1', port });
  c.on('error', () => {});
  c.write(hello);
  c.resume();
  // Not events.once: it rejects on 'error', and a probe that meets the drain (ECONNREFUSED) must not fail the test.
  await new Promise((resolve) => c.once('close', resolve));
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('dp run --access-log', () => {
  test('--workers 2: whole lines in the file and on stdout, the file reopened on SIGUSR1', async (t) => {
    const dir = tmpDir(t);
    const routes = join(dir, 'routes.yaml');
    const log = join(dir, 'access.log');
    const up = await upstream(t);
    writeFileSync(routes, `version: v1\nroutes:\n  - kind: passthrough\n    sni: ${SNI}\n    mesh: mesh-1\n    service: backend\n    endpoints: [{ address: 127.0.0.1, port: ${up} }]\n`);
    const child = spawn(process.execPath, [BIN, 'dp', 'run', '--proxy-type=egress', '--routes-file', routes, '--port', '0', '--admin-port', '0', '--workers', '2', '--access-log', log, '--access-log', 'stdout', '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await until(() => /listening on 127\.0\.0\.1:\d+/.test(stdout), 'the listening line');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1]);

    const N = 60;
    await Promise.all(Array.from({ length: N }, () => through(port)));
    await until(() => lines(log).length === N, `${N} lines in the file`);
    const records = lines(log).map((l) => JSON.parse(l) as AccessRecord);
    assert.ok(records.every((r) => r.sni === SNI && r.close === 'closed' && r.upstream === `127.0.0.1:${up}`));
    await until(() => stdout.split('\n').filter((l) => l.startsWith('{')).length === N, `${N} lines on stdout`);
    for (const l of stdout.split('\n').filter((x) => x.startsWith('{'))) assert.equal((JSON.parse(l) as AccessRecord).sni, SNI);

    renameSync(log, `${log}.1`);
    child.kill('SIGUSR1');
    // The signal is handled asynchronously: lines may go to the renamed file until the reopen.
    await until(() => {
      void through(port);
      return lines(log).length > 0;
    }, 'a line in a new file');
    assert.ok(lines(`${log}.1`).length >= N);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, 'SIGUSR1 did not stop the egress, SIGTERM drained it');
  });

  test('a bad --access-log is a usage error naming the valid forms', async () => {
    const r = await runCli(['dp', 'run', '--proxy-type=egress', '--routes-file', 'x.yaml', '--access-log', 'udp://127.0.0.1:514']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--access-log udp:\/\/127\.0\.0\.1:514: udp:\/\/ is not a destination \(use stdout, tcp:\/\/HOST:PORT, or a file path\)/);
  });
});
