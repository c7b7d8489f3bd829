import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, ROOT, runCli } from '../../helpers/cli.js';
import { tmpDir } from '../../helpers/tmp.js';

const hello = readFileSync(new URL('../../fixtures/egress/node-sni.bin', import.meta.url));

function routes(port: number, version: string): string {
  return `version: ${version}\nroutes:\n  - kind: passthrough\n    sni: backend{mesh=mesh-1}\n    mesh: mesh-1\n    service: backend\n    endpoints: [{ address: 127.0.0.1, port: ${port} }]\n`;
}

interface Running {
  child: ChildProcess;
  port: number;
  adminPort: number;
  /** Log lines (JSON) seen so far. */
  logs: Array<Record<string, unknown>>;
  waitLog(msg: string): Promise<Record<string, unknown>>;
}

/** Longest wait for one step of a dp run (a log line, an echo): generous for a loaded CI machine. */
const WAIT_MS = 60_000;

/** The next `n` bytes from `c`; fails (rather than waiting forever) when `c` closes first or after WAIT_MS. */
function readBytes(c: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      c.removeListener('data', onData);
      c.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (d: Buffer) => {
      chunks.push(d);
      if ((got += d.length) >= n) done();
    };
    const onClose = () => done(new Error(`the connection closed after ${got} of ${n} bytes`));
    const timer = setTimeout(() => done(new Error(`${got} of ${n} bytes within ${WAIT_MS} ms`)), WAIT_MS);
    c.on('data', onData);
    c.once('close', onClose);
  });
}

/** Starts `zonectl dp run` and waits for its "egress listening" log line. */
async function start(t: { after: (fn: () => void) => void }, args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'dp', 'run', '--proxy-type=egress', '--address', '127.0.0.1', '--port', '0', '--admin-port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: (l: Record<string, unknown>) => void }> = [];
  let buf = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        rec = { msg: line };
      }
      logs.push(rec);
      for (const w of waiters.filter((x) => x.msg === rec.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
  });
  // Bounded: a line that never comes fails the test with what was logged, instead of holding the run.
  const waitLog = (msg: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = logs.find((l) => l.msg === msg);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no "${msg}" log line within ${WAIT_MS} ms: ${JSON.stringify(logs)}`)), WAIT_MS);
      waiters.push({ msg, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited ${code} before logging "${msg}": ${JSON.stringify(logs)}`))));
    });
  const listening = await waitLog('egress listening');
  return { child, port: listening.port as number, adminPort: listening.adminPort as number, logs, waitLog };
}

async function echoServer(t: { after: (fn: () => void) => void }, tag: string): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.end(`${tag}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

async function through(port: number): Promise<string> {
  const c = net.connect({ host: '127.0.0.1', port });
  c.write(hello);
  let got = '';
  c.setEncoding('utf8').on('data', (d: string) => (got += d));
  await once(c, 'close');
  return got;
}

describe('zonectl dp run --proxy-type=egress', () => {
  test('without a routes source it is a usage error (exit 2)', async () => {
    const res = await runCli(['dp', 'run', '--proxy-type=egress']);
    assert.equal(res.code, 2);
    assert.equal(res.stderr, 'Error: no routes source: pass --routes-file F (static routes) or --cp-address URL (control plane)\n');
  });

  test('a bad duration is a usage error', async () => {
    const res = await runCli(['dp', 'run', '--proxy-type=egress', '--routes-file', 'x.yaml', '--drain-time', 'soon']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--drain-time soon: not a duration \(use Go syntax, e\.g\. 30s, 1m30s, 500ms\)/);
  });

  test('an invalid routes file is rejected (exit 3) with field paths', async (t) => {
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'r.yaml'), 'routes:\n  - kind: passthrough\n    sni: a\n    mesh: m\n    service: a\n    endpoints: []\n');
    const res = await runCli(['dp', 'run', '--proxy-type=egress', '--routes-file', join(dir, 'r.yaml'), '--port', '0', '--admin-port', '0']);
    assert.equal(res.code, 3);
    assert.equal(res.stderr, `Error: routes file ${join(dir, 'r.yaml')} is invalid:\n  routes[0].endpoints: must NOT have fewer than 1 items\n`);
  });

  test('serves the routes file, reloads it on change and on SIGHUP, drains on SIGTERM and exits 0', async (t) => {
    const dir = tmpDir(t);
    const a = await echoServer(t, 'a');
    const b = await echoServer(t, 'b');
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, routes(a, 'one'));
    const run = await start(t, ['--routes-file', file, '--drain-time', '5s']);
    const ready = await fetch(`http://127.0.0.1:${run.adminPort}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(await through(run.port), 'a');

    writeFileSync(file, routes(b, 'two'));
    const reloaded = await run.waitLog('routes file reloaded');
    assert.equal(reloaded.version, 'two');
    assert.equal(await through(run.port), 'b');

    // A broken edit keeps the old routes.
    writeFileSync(file, 'routes: [{}]\n');
    await run.waitLog('routes file reload failed; keeping the previous routes');
    assert.equal(await through(run.port), 'b');

    // SIGHUP reloads too (the watcher may see this write first; either way version three is applied).
    writeFileSync(file, routes(a, 'three'));
    run.child.kill('SIGHUP');
    await new Promise<void>((resolve) => {
      const check = async () => {
        const dump = await (await fetch(`http://127.0.0.1:${run.adminPort}/config_dump`)).json();
        if ((dump as { version: string }).version === 'three') resolve();
        else setImmediate(check);
      };
      void check();
    });
    assert.equal(await through(run.port), 'a');

    run.child.kill('SIGTERM');
    const [code] = await once(run.child, 'exit');
    assert.equal(code, 0);
    assert.ok(run.logs.some((l) => l.msg === 'terminating: draining connections' && l.signal === 'SIGTERM'));
  });

  test('the dataplane file gives the ports; flags override it', async (t) => {
    const dir = tmpDir(t);
    const a = await echoServer(t, 'a');
    writeFileSync(join(dir, 'routes.yaml'), routes(a, 'one'));
    writeFileSync(join(dir, 'ze.yaml'), 'type: ZoneEgress\nname: ze-1\nnetworking:\n  address: 127.0.0.1\n  port: 1\n  admin:\n    port: 0\n');
    const run = await start(t, ['--routes-file', join(dir, 'routes.yaml'), '--dataplane-file', join(dir, 'ze.yaml')]);
    assert.notEqual(run.port, 1, '--port 0 overrides networking.port');
    assert.equal((await fetch(`http://127.0.0.1:${run.adminPort}/ready`)).status, 200);
    run.child.kill('SIGTERM');
    assert.deepEqual(await once(run.child, 'exit'), [0, null]);
  });

  test('--workers 2: a routes file change reaches every worker; SIGTERM drains both, live connections finish, exit 0', { timeout: 180_000 }, async (t) => {
    const dir = tmpDir(t);
    const held = net.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    held.listen(0, '127.0.0.1');
    await once(held, 'listening');
    const live = new Set<net.Socket>();
    held.on('connection', (s) => (live.add(s), s.on('close', () => live.delete(s))));
    t.after(() => (live.forEach((s) => s.destroy()), held.close()));
    const heldPort = (held.address() as net.AddressInfo).port;
    const a = await echoServer(t, 'a');
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, routes(a, 'one'));
    const run = await start(t, ['--routes-file', file, '--drain-time', '20s', '--workers', '2']);
    assert.equal(await through(run.port), 'a');

    writeFileSync(file, routes(heldPort, 'two'));
    await run.waitLog('routes file reloaded');
    const dump = (await (await fetch(`http://127.0.0.1:${run.adminPort}/config_dump`)).json()) as { workers: Array<{ worker: number; version: string; state: string }> };
    assert.deepEqual(
      dump.workers.map((w) => [w.worker, w.version, w.state]),
      [
        [1, 'two', 'running'],
        [2, 'two', 'running'],
      ],
    );

    // A connection kept open across the SIGTERM.
    const c = net.connect({ host: '127.0.0.1', port: run.port });
    c.write(hello);
    assert.deepEqual(await readBytes(c, hello.length), hello, 'the held upstream echoes the hello');
    const started = Date.now();
    run.child.kill('SIGTERM');
    await run.waitLog('draining: every worker stops accepting');
    const ready = await fetch(`http://127.0.0.1:${run.adminPort}/ready`);
    assert.deepEqual([ready.status, await ready.text()], [503, 'TERMINATING\n']);
    c.write('still here');
    assert.equal(String(await readBytes(c, 'still here'.length)), 'still here', 'the live connection still relays while draining');
    c.end();
    const [code] = await once(run.child, 'exit');
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 15_000, 'exited when the last connection closed, not at the end of --drain-time');
    // Workers' log lines came through the primary, each a whole JSON line.
    assert.deepEqual(run.logs.filter((l) => !('level' in l)), []);
    assert.deepEqual([...new Set(run.logs.filter((l) => l.msg === 'draining: stopped accepting').map((l) => l.worker))].sort(), [1, 2]);
  });
});
