/**
 * What a person at a terminal sees: the CLI run under a real pseudo-terminal (util-linux
 * `script`) prints colours and apply's progress bar; NO_COLOR takes the colours away; a pipe gets
 * neither.
 */
/* eslint-disable no-control-regex -- the assertions are about terminal escape sequences (ESC, CR). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { cliContext } from './context.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { request, startTestControlPlane } from '../helpers/cp.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Runs zonectl with stdin, stdout and stderr on one pseudo-terminal; resolves with what it showed.
 * Asynchronous: the control plane under test runs in this process and must keep answering.
 */
function inPty(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TERM: 'xterm', FORCE_COLOR: undefined, NO_COLOR: undefined, ...env } });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    }),
  );
}

describe('on a terminal', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, () => {
  test('colours and the progress bar on a TTY; none with NO_COLOR or on a pipe', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    const put = await request(`${cp.url}/zoneegresses/ze-1`, { method: 'PUT', body: { type: 'ZoneEgress', name: 'ze-1', networking: { address: '10.0.0.5', port: 10002 } }, headers: { 'content-type': 'application/json' } });
    assert.ok(put.status < 300, put.text);

    const tty = await inPty(['inspect', 'zoneegresses'], ctx.env);
    assert.equal(tty.code, 0, tty.screen);
    assert.match(tty.screen, /ze-1 +\x1b\[31mOffline\x1b\[39m/);

    const noColor = await inPty(['inspect', 'zoneegresses'], { ...ctx.env, NO_COLOR: '1' });
    assert.equal(noColor.code, 0, noColor.screen);
    assert.match(noColor.screen, /ze-1 +Offline/);
    assert.doesNotMatch(noColor.screen, /\x1b\[/);

    const docs = ['a', 'b', 'c'].map((n) => `type: ZoneEgress\nname: ${n}\nnetworking:\n  address: 10.0.0.5\n  port: 10002\n`).join('---\n');
    const file = `${ctx.dir}/set.yaml`;
    (await import('node:fs')).writeFileSync(file, docs);
    const applied = await inPty(['apply', '-f', file], ctx.env);
    assert.equal(applied.code, 0, applied.screen);
    assert.match(applied.screen, /applying \[[#.]+\] \d\/3/);
    assert.match(applied.screen, /\r\x1b\[K/);
    assert.match(applied.screen, /3 created/);

    const piped = await runCli(['apply', '-f', file], { env: ctx.env });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.doesNotMatch(piped.stdout, /\r|\x1b\[/);
    assert.equal(piped.stdout, 'ZoneEgress "a" unchanged\nZoneEgress "b" unchanged\nZoneEgress "c" unchanged\n3 unchanged\n');
  });
});
