/**
 * `get`/`inspect` with `--watch` (prints again on change, Ctrl-C exits 0) and `-o wide`, and the
 * output flags of `delete`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { cliContext } from '../cli/context.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { request, startTestControlPlane } from '../helpers/cp.js';

const egress = (name: string, port: number) => ({ type: 'ZoneEgress', name, zone: 'zone-1', networking: { address: '10.0.0.5', port, admin: { port: 9901 } }, labels: { team: 'edge' } });

async function put(url: string, body: Record<string, unknown>): Promise<void> {
  const r = await request(`${url}/zoneegresses/${String(body.name)}`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
  assert.ok(r.status === 200 || r.status === 201, r.text);
}

/** Spawns the CLI and resolves `waitFor(re)` when stdout matches. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of waiters.splice(0)) if (w.re.test(stdout)) w.resolve();
    else waiters.push(w);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor: (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stdout)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${stdout}\n${stderr}`)), 20_000);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

describe('--watch and -o wide', () => {
  test('get --watch prints the table again when a resource changes, and exits 0 on Ctrl-C', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    await put(cp.url, egress('ze-1', 10002));
    const w = spawnCli(['get', 'zoneegresses', '--watch', '--interval', '200ms'], ctx.env);
    t.after(() => w.child.kill('SIGKILL'));
    await w.waitFor(/ze-1 /);
    await put(cp.url, egress('ze-2', 10003));
    await w.waitFor(/ze-2 /);
    w.child.kill('SIGINT');
    assert.equal(await w.exited, 0);
    const { stdout } = w.output();
    const tables = stdout.split('\n\n');
    assert.equal(tables.length, 2, stdout);
    assert.doesNotMatch(tables[0], /ze-2/);
    assert.match(tables[1], /^NAME +ZONE +ADDRESS +PORT +AGE\nze-1 .*\nze-2 /);
  });

  test('inspect zoneegresses --watch -o json prints one JSON document per change', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    await put(cp.url, egress('ze-1', 10002));
    const w = spawnCli(['inspect', 'zoneegresses', '-w', '--interval', '200ms', '-o', 'json'], ctx.env);
    t.after(() => w.child.kill('SIGKILL'));
    await w.waitFor(/"total":1/);
    await put(cp.url, egress('ze-2', 10003));
    await w.waitFor(/"total":2/);
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0);
    const docs = w.output().stdout.trim().split('\n').map((l) => JSON.parse(l) as { total: number });
    assert.deepEqual(docs.map((d) => d.total), [1, 2]);
  });

  test('-o wide adds columns: labels for every kind, admin port of an egress; inspect adds zone and address', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    await put(cp.url, egress('ze-1', 10002));
    const get = await runCli(['get', 'zoneegresses', '-o', 'wide'], { env: ctx.env });
    assert.equal(get.code, 0, get.stderr);
    const [header, row] = get.stdout.split('\n');
    assert.match(header, /^NAME +ZONE +ADDRESS +PORT +AGE +ADMIN PORT +LABELS$/);
    assert.match(row, /^ze-1 +zone-1 +10\.0\.0\.5 +10002 +\S+ +9901 +.*team=edge/);
    const one = await runCli(['get', 'zoneegress', 'ze-1', '-o', 'wide'], { env: ctx.env });
    assert.match(one.stdout, /ADMIN PORT +LABELS\nze-1 /);
    const inspect = await runCli(['inspect', 'zoneegresses', '-o', 'wide'], { env: ctx.env });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /ZONECTL VERSION +ZONE +ADDRESS +CP INSTANCE\nze-1 +Offline .* zone-1 +10\.0\.0\.5:10002/);
  });

  test('delete takes -o json and -o yaml like every command that prints data', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    await put(cp.url, egress('ze-1', 10002));
    await put(cp.url, egress('ze-2', 10002));
    const j = await runCli(['delete', 'zoneegress', 'ze-1', '-o', 'json'], { env: ctx.env });
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { deleted: { type: 'ZoneEgress', name: 'ze-1' } });
    const y = await runCli(['delete', 'zoneegress', 'ze-2', '-o', 'yaml'], { env: ctx.env });
    assert.equal(y.stdout, 'deleted:\n  name: ze-2\n  type: ZoneEgress\n');
  });
});
