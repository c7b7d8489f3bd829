/**
 * `zonectl control-plane run` as users run it: the built CLI in a child process (npm test builds
 * first). Covers start-up output, settings from flags/env/config file, graceful SIGTERM with a
 * request in flight, and durability: kill -9 in the middle of a burst of PUTs loses no
 * acknowledged write.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { BIN, ROOT, runCli } from '../../helpers/cli.js';
import { request } from '../../helpers/cp.js';
import { tmpDir } from '../../helpers/tmp.js';

interface Server {
  url: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the CLI and resolves once it printed the URL it listens on. The dp-server gets a free
 * port unless the test names one: the default 5678 may belong to a zonectl running on this host.
 */
function startCli(t: TestContext, args: string[], env: Record<string, string> = {}): Promise<Server> {
  const dpPort = args.includes('--dp-port') || env.ZONECTL_DP_PORT !== undefined ? [] : ['--dp-port', '0'];
  const proc = spawn(process.execPath, [BIN, 'control-plane', 'run', ...args, ...dpPort], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)[^]*admin token: .*\n/.exec(out);
      if (m) resolve({ url: m[1], proc, stdout: () => out, stderr: () => err, exit });
    });
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    void exit.then((e) => reject(new Error(`control plane exited (${e.code ?? e.signal}) before listening:\n${out}\n${err}`)));
  });
}

const ze = (name: string) => ({ type: 'ZoneEgress', name, networking: { address: '10.0.0.1', port: 10001 } });

describe('zonectl control-plane run', () => {
  test('prints where it listens, serves the API, and exits 0 on SIGTERM after finishing an in-flight request', async (t) => {
    const dir = tmpDir(t);
    const cp = await startCli(t, ['--api-port', '0', '--data-dir', dir]);
    assert.match(cp.stdout(), /^zonectl control plane listening on http:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(cp.stdout(), /store: sqlite \(.*store\.db\); zone: default; admin token: .*admin-token/);
    assert.equal((await request(`${cp.url}/`)).status, 200);
    // A PUT with `Expect: 100-continue`: the server answers 100 once the request is in its handler.
    // Then SIGTERM; send the body only after the server logged its shutdown. It must still complete.
    const body = JSON.stringify(ze('late'));
    const inflight = new Promise<number>((resolve, reject) => {
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), expect: '100-continue' };
      const req = httpRequest(`${cp.url}/zoneegresses/late`, { method: 'PUT', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.on('continue', () => {
        cp.proc.stderr!.on('data', () => {
          if (cp.stderr().includes('"msg":"shutting down"') && !req.writableEnded) req.end(body);
        });
        cp.proc.kill('SIGTERM');
      });
      req.flushHeaders();
    });
    assert.equal(await inflight, 201);
    const { code } = await cp.exit;
    assert.equal(code, 0, cp.stderr());
    assert.match(cp.stderr(), /"msg":"control plane stopped"/);
    const again = await startCli(t, ['--api-port', '0', '--data-dir', dir]);
    assert.equal((await request(`${again.url}/zoneegresses/late`)).status, 200, 'the in-flight write was committed');
    again.proc.kill('SIGINT');
    assert.equal((await again.exit).code, 0);
  });

  test('settings come from flags, then ZONECTL_* variables, then the --config file', async (t) => {
    const dir = tmpDir(t);
    const config = join(dir, 'cp.yaml');
    writeFileSync(config, `zone: from-file\nstore: sqlite\napiPort: 0\ndata-dir: ${join(dir, 'data')}\n`);
    const cp = await startCli(t, ['--config', config], { ZONECTL_STORE: 'memory' });
    assert.match(cp.stdout(), /store: memory; zone: from-file/);
    assert.equal(((await request(`${cp.url}/`)).json as { zone: string }).zone, 'from-file');
    cp.proc.kill('SIGTERM');
    await cp.exit;
    const flagWins = await startCli(t, ['--config', config, '--zone', 'from-flag'], { ZONECTL_ZONE: 'from-env' });
    assert.match(flagWins.stdout(), /zone: from-flag/);
  });

  test('refuses what it cannot do, with a next step', async () => {
    const pg = await runCli(['control-plane', 'run', '--store', 'postgres', '--api-port', '0'], { cwd: ROOT });
    assert.equal(pg.code, 2);
    assert.match(pg.stderr, /Error: --store postgres needs the database: give --postgres-url postgres:\/\/USER@HOST:5432\/DATABASE \(or ZONECTL_POSTGRES_URL\)/);
    const env = await runCli(['control-plane', 'run'], { env: { ZONECTL_API_PORT: 'http' } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /ZONECTL_API_PORT: "http" is not a port/);
  });

  test('refuses to start on a store.db that is zero-length, naming the file and how to recover', async (t) => {
    const dir = tmpDir(t);
    writeFileSync(join(dir, 'store.db'), '');
    const r = await runCli(['control-plane', 'run', '--api-port', '0', '--dp-port', '0', '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^Error: the store ${join(dir, 'store.db').replace(/[.]/g, '\\.')} is empty \\(0 bytes\\), not a zonectl database: restore it from a backup, or move it away to start a new, empty cluster`));
  });

  test('refuses to start on a damaged dp-server/server.key, naming the file and what to do', async (t) => {
    const dir = tmpDir(t);
    const first = await startCli(t, ['--api-port', '0', '--data-dir', dir]);
    first.proc.kill('SIGTERM');
    await first.exit;
    const key = join(dir, 'dp-server', 'server.key');
    writeFileSync(key, 'garbage\n');
    const r = await runCli(['control-plane', 'run', '--api-port', '0', '--dp-port', '0', '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`Error: ${key} is not a PEM private key (error:1E08010C:DECODER routines::unsupported): delete ${join(dir, 'dp-server', 'server.crt')} and ${key}: the next start issues new ones`), r.stderr);
  });

  test('durability: after kill -9 in the middle of a burst of PUTs, every acknowledged write is there', async (t) => {
    const dir = tmpDir(t);
    const cp = await startCli(t, ['--api-port', '0', '--data-dir', dir]);
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    t.after(() => agent.destroy());
    const acked: string[] = [];
    let next = 0;
    let killed = false;
    const put = (name: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify(ze(name));
        const req = httpRequest(`${cp.url}/zoneegresses/${name}`, { method: 'PUT', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    const worker = async () => {
      while (!killed) {
        const name = `ze-${next++}`;
        try {
          if ((await put(name)) === 201) acked.push(name);
        } catch {
          return; // the server died under us: this write was not acknowledged
        }
        if (acked.length >= 400 && !killed) {
          killed = true;
          cp.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    assert.equal((await cp.exit).signal, 'SIGKILL');
    assert.ok(acked.length >= 400);

    const after = await startCli(t, ['--api-port', '0', '--data-dir', dir]);
    const stored = new Set<string>();
    for (let url: string | null = `${after.url}/zoneegresses?size=1000`; url; ) {
      const page = (await request(url)).json as { items: { name: string }[]; next: string | null };
      page.items.forEach((i) => stored.add(i.name));
      url = page.next;
    }
    const lost = acked.filter((n) => !stored.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes were lost`);
  });
});
