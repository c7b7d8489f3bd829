/**
 * The README's walk-throughs, run as a user types them: every `sh` block marked
 * `<!-- readme-test: flow -->` is executed line by line with bash in a sandbox (examples/, `zonectl`
 * on the PATH, its own HOME), and every line must succeed.
 *
 * What differs from the user's terminal, and only this: the machine running the tests may have a
 * zonectl on the default ports, so the servers get free ones.
 * - `zonectl control-plane run ...` starts in the background with `--api-port 0 --dp-port 0
 *   --kds-port 0 --api-tls-port 0` (replacing the README's values); the ports it
 *   prints stand in for the ones the README names (its `--api-port`, or 5681; 5678; 5685), and later
 *   lines are rewritten to them. The first control plane that stands for 5681 becomes the CLI's
 *   active context (the user's default http://127.0.0.1:5681).
 * - `zonectl dp run ...` starts in the background with `--port 0 --admin-port 0`; the next line waits
 *   until the egress is Online.
 * - A line whose comment names a resource and a state (`# zoneegress-1 Online`) must print that
 *   resource's row with that state; a `> FILE` redirection or `--cert-file/--key-file FILE` must
 *   leave a non-empty FILE behind.
 * `<!-- readme-test: flow after: CMD; CMD -->` runs those lines first: the set-up a section assumes.
 * Background processes get SIGTERM at the end and must exit 0 (a clean drain).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { blocks, readmeSandbox } from './helpers/readme.js';
import { tmpDir } from './helpers/tmp.js';

interface Line {
  /** The command without its comment, continuations joined. */
  command: string;
  comment: string;
  line: number;
}

function lines(text: string, first: number): Line[] {
  const out: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const at = first + 1 + i;
    let joined = raw[i];
    while (/\\\s*$/.test(joined) && i + 1 < raw.length) joined = joined.replace(/\\\s*$/, ' ') + raw[++i].trim();
    const m = /^(.*?)(?:\s+#\s*(.*))?$/.exec(joined.trim());
    const command = (m?.[1] ?? '').trim();
    if (command === '' || command.startsWith('#')) continue;
    out.push({ command, comment: (m?.[2] ?? '').trim(), line: at });
  }
  return out;
}

interface Background {
  child: ChildProcess;
  output: () => string;
  what: string;
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function start(command: string, cwd: string, env: NodeJS.ProcessEnv, what: string): Background {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  return { child, output: () => output, what };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, bg?: Background, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (bg && bg.child.exitCode !== null) throw new Error(`${bg.what} exited (${bg.child.exitCode}) before ${what}:\n${bg.output()}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${bg ? `:\n${bg.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function flag(command: string, name: string): string | undefined {
  return new RegExp(`--${name}[=\\s]+(\\S+)`).exec(command)?.[1];
}

/** The command with each of these port flags set to 0 (replaced where given, appended where not). */
function freePorts(command: string, names: string[]): string {
  let out = command;
  for (const n of names) {
    const re = new RegExp(`--${n}([=\\s]+)\\d+`);
    out = re.test(out) ? out.replace(re, (_all, sep: string) => `--${n}${sep}0`) : `${out} --${n} 0`;
  }
  return out;
}

const flows = blocks().filter((b) => b.directive === 'flow' || b.directive?.startsWith('flow after: '));

/** `flow after: CMD; CMD` runs those lines first: the set-up a section assumes (a control plane running). */
function prelude(directive: string | undefined): string {
  return (directive?.startsWith('flow after: ') ? directive.slice('flow after: '.length).split(';').map((c) => c.trim()) : []).join('\n');
}

describe('README walk-throughs run as shown', () => {
  test('at least the quickstart and multizone walk-throughs are marked to run', () => {
    assert.ok(flows.length >= 2, `only ${flows.length} flow blocks found`);
  });

  for (const b of flows) {
    test(`README.md:${b.line}: every line succeeds`, { timeout: 180_000 }, async (t) => {
      const { dir, env } = readmeSandbox(tmpDir(t, 'zonectl-readme-flow-'));
      const ports = new Map<string, string>(); // README port -> actual port
      const background: Background[] = [];
      t.after(async () => {
        for (const bg of background) if (bg.child.exitCode === null) bg.child.kill('SIGKILL');
      });
      const rewrite = (cmd: string): string => cmd.replace(/:(\d{4,5})\b/g, (all, p: string) => (ports.has(p) ? `:${ports.get(p)}` : all));
      let contextSet = false;

      for (const l of [...lines(prelude(b.directive), b.line - 2), ...lines(b.text, b.line)]) {
        const where = `README.md:${l.line}: ${l.command}`;
        const cmd = rewrite(l.command);
        if (/^zonectl control-plane run\b/.test(cmd)) {
          const bg = start(freePorts(cmd, ['api-port', 'dp-port', 'kds-port', 'api-tls-port']), dir, env, where);
          background.push(bg);
          const api = await waitFor('the API address', () => /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(bg.output()) ?? undefined, bg);
          const named = flag(l.command, 'api-port') ?? '5681';
          ports.set(named, api[2]);
          const dp = await waitFor('the dp-server or KDS address', () => /(dp-server for egresses|KDS server for zone control planes) listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(bg.output()) ?? undefined, bg);
          if (dp[1].startsWith('KDS')) ports.set('5685', dp[2]);
          else ports.set(flag(l.command, 'dp-port') ?? '5678', dp[2]);
          if (named === '5681' && !contextSet) {
            const r = await run(`zonectl config control-planes add --name readme --address ${api[1]} --skip-check`, dir, env);
            assert.equal(r.code, 0, r.output);
            contextSet = true;
          }
          continue;
        }
        if (/^zonectl dp run\b/.test(cmd)) {
          const bg = start(freePorts(cmd, ['port', 'admin-port']), dir, env, where);
          background.push(bg);
          await waitFor('the egress to listen', () => (/listening on/i.test(bg.output()) ? true : undefined), bg);
          continue;
        }
        const online = /^(\S+)\s+(Online|Offline)$/.exec(l.comment);
        const r = online
          ? await waitFor(`${online[1]} ${online[2]} in \`${cmd}\``, async () => {
              const attempt = await run(cmd, dir, env);
              return attempt.code === 0 && new RegExp(`^${online[1]}\\s+${online[2]}\\b`, 'm').test(attempt.output) ? attempt : undefined;
            })
          : await run(cmd, dir, env);
        assert.equal(r.code, 0, `${where}\n${r.output}`);
        for (const file of [/>\s*(\S+)\s*$/.exec(cmd)?.[1], flag(cmd, 'cert-file'), flag(cmd, 'key-file')]) {
          if (!file || file === '-') continue;
          assert.ok(existsSync(join(dir, file)) && statSync(join(dir, file)).size > 0, `${where}: ${file} was not written`);
        }
      }
      assert.ok(background.length > 0, 'a walk-through starts at least one server');
      for (const bg of background.reverse()) {
        bg.child.kill('SIGTERM');
        const code = await new Promise<number | null>((resolve) => (bg.child.exitCode !== null ? resolve(bg.child.exitCode) : bg.child.once('exit', (c) => resolve(c))));
        assert.equal(code, 0, `${bg.what} did not stop cleanly:\n${bg.output()}`);
      }
    });
  }
});
