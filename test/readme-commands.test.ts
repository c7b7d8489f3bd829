/**
 * The README cannot drift from the commands: every `zonectl ...` line of every shell or console
 * block (the set-up, the quickstart, each section) must name a real command and only flags that
 * command accepts, with allowed values; and the blocks marked `<!-- readme-test: run -->` are
 * executed in a temporary directory (with the repo's examples/ and `zonectl` on the PATH), their
 * `$ command` lines compared with the output the README shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { blocks, readmeSandbox, type Block } from './helpers/readme.js';
import { tmpDir } from './helpers/tmp.js';

interface ManifestFlag {
  name: string;
  char?: string;
  type: 'boolean' | 'option';
  options?: string[];
  allowNo?: boolean;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { id: string; flags: Record<string, ManifestFlag>; strict?: boolean }> };

/** The `zonectl ...` invocations of a block: shell lines (continuations joined) or `$ ` lines. */
function invocations(b: Block): string[] {
  const text = b.text.replace(/\\\n\s*/g, ' ');
  const lines = b.lang === 'sh' ? text.split('\n') : text.split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
  const out: string[] = [];
  for (const line of lines) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const segment of code.split(/\|\||&&|\||;/)) {
      const s = segment.trim().replace(/^\S+=\S+\s+/, '');
      if (s.startsWith('zonectl ')) out.push(s.replace(/\s[<>]\s*\S+/g, '').replace(/\s&\s*$/, ''));
    }
  }
  return out;
}

/** Shell-like words; `[--optional flags]` brackets are dropped, quotes removed. */
function words(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(cmd); m; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3].replace(/^\[|\]$/g, ''));
  return out.filter((w) => w !== '');
}

function checkInvocation(cmd: string): string | undefined {
  const w = words(cmd).slice(1);
  let id = '';
  let rest = w;
  for (let n = w.length; n > 0; n--) {
    const candidate = w.slice(0, n).join(':');
    if (manifest.commands[candidate] || candidate === 'help') {
      id = candidate;
      rest = w.slice(n);
      break;
    }
  }
  if (!id) return `unknown command: ${cmd}`;
  if (id === 'help') return undefined;
  const flags = Object.values(manifest.commands[id].flags);
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    if (!t.startsWith('-') || t === '-' || t === '--') continue;
    if (t === '-h' || t === '--help') continue;
    const [name, inline] = t.startsWith('--') ? [t.slice(2).split('=')[0], t.includes('=') ? t.slice(t.indexOf('=') + 1) : undefined] : [t.slice(1, 2), t.length > 2 ? t.slice(2) : undefined];
    const flag = t.startsWith('--') ? flags.find((f) => f.name === name || (f.allowNo && `no-${f.name}` === name)) : flags.find((f) => f.char === name);
    if (!flag) return `zonectl ${id.replace(/:/g, ' ')} has no flag ${t.split('=')[0]}: ${cmd}`;
    if (flag.type === 'option') {
      const value = inline ?? rest[++i];
      if (value === undefined) return `${t} needs a value: ${cmd}`;
      if (flag.options && !/[$<{A-Z]/.test(value) && !flag.options.includes(value)) return `${t} ${value} is not one of ${flag.options.join('|')}: ${cmd}`;
    }
  }
  return undefined;
}

const all = blocks();

describe('README commands', () => {
  test('every zonectl command line names a real command with flags it accepts', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const b of all.filter((x) => x.lang === 'sh' || x.lang === 'console' || x.lang === 'text')) {
      for (const cmd of invocations(b)) {
        checked++;
        const p = checkInvocation(cmd);
        if (p) problems.push(`README.md:${b.line}: ${p}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 40, `only ${checked} command lines found: is the parser broken?`);
  });

  test('the checker itself refuses what does not exist', () => {
    assert.match(checkInvocation('zonectl aply -f x.yaml') ?? '', /unknown command/);
    assert.match(checkInvocation('zonectl get meshes --colour') ?? '', /has no flag --colour/);
    assert.match(checkInvocation('zonectl get meshes -o xml') ?? '', /-o xml is not one of/);
    assert.equal(checkInvocation('zonectl control-plane run --no-localhost-is-admin --api-port 0'), undefined);
  });

  for (const b of all.filter((x) => x.directive === 'run')) {
    test(`README.md:${b.line}: the transcript runs as shown`, async (t) => {
      const { dir, env } = readmeSandbox(tmpDir(t, 'zonectl-readme-'));
      for (const step of transcript(b)) {
        // `$ cat FILE` shows a file the transcript uses: it is written with what the README shows.
        const shown = /^cat (\S+)$/.exec(step.command)?.[1];
        if (shown && !existsSync(join(dir, shown))) writeFileSync(join(dir, shown), step.expected);
        const r = await sh(step.command, dir, env);
        assert.equal(r.output, step.expected, `README.md:${b.line}: $ ${step.command}\n${r.output}`);
      }
    });
  }
});

/** `$ command` lines and the output shown under each; `# ...` lines at the top set the scene. */
function transcript(b: Block): { command: string; expected: string }[] {
  const steps: { command: string; expected: string }[] = [];
  for (const line of b.text.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: '' });
    else if (steps.length) steps[steps.length - 1].expected += `${line}\n`;
  }
  return steps;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}
