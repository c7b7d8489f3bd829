/**
 * Shell completion: the candidates (commands, flags, flag values, kinds, contexts) and the bash
 * script driving the real CLI through `__complete`, as a Tab press would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliContext } from './context.js';
import { BIN, runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

describe('zonectl completion', () => {
  test('__complete: commands, subcommands, flags, flag values, kinds and contexts', async (t) => {
    const ctx = cliContext(t, 'http://127.0.0.1:1');
    const c = async (...words: string[]) => {
      const r = await runCli(['__complete', ...words], { env: ctx.env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    const top = await c('');
    for (const cmd of ['apply', 'get', 'validate', 'help', 'config', 'control-plane']) assert.ok(top.includes(cmd), `${cmd} missing from ${top.join(' ')}`);
    assert.deepEqual(await c('config', 'control-planes', ''), ['add', 'list', 'remove', 'use']);
    assert.deepEqual(await c('ge'), ['generate', 'get']);
    const kinds = await c('get', 'zone');
    assert.ok(kinds.includes('zoneegresses') && kinds.includes('zoneingress'), kinds.join(' '));
    assert.ok((await c('delete', '')).includes('meshes'));
    assert.deepEqual(await c('get', 'meshes', '-o', ''), ['table', 'wide', 'yaml', 'json']);
    assert.deepEqual(await c('get', 'meshes', '--context', ''), ['test']);
    const flags = await c('get', 'meshes', '--w');
    assert.deepEqual(flags, ['--watch']);
    assert.ok((await c('validate', '--')).includes('--allow-empty'));
  });

  test('the bash script completes through the real CLI', async (t) => {
    const dir = tmpDir(t);
    const shim = join(dir, 'zonectl');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(shim, 0o755);
    const script = (await runCli(['completion', 'bash'])).stdout;
    assert.match(script, /complete -o default -F _zonectl_complete zonectl/);
    const tab = (line: string[]) => {
      const cword = line.length - 1;
      const src = `source <(zonectl completion bash)\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${cword}\n_zonectl_complete\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
      const r = spawnSync('bash', ['-c', src], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, HOME: dir, ZONECTL_CONFIG: '' } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(tab(['zonectl', 'ap']), ['apply']);
    const kinds = tab(['zonectl', 'get', 'zoneegress']);
    assert.ok(kinds.includes('zoneegresses') && kinds.includes('zoneegress'), kinds.join(' '));
    assert.ok(kinds.every((k) => k.startsWith('zoneegress')), kinds.join(' '));
    assert.deepEqual(tab(['zonectl', 'validate', '-o', 'j']), ['json', 'junit']);
  });

  test('zsh and fish scripts are printed; an unknown shell is a usage error', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    assert.match(zsh.stdout, /^#compdef zonectl\n/);
    assert.match(zsh.stdout, /zonectl __complete/);
    const fish = await runCli(['completion', 'fish']);
    assert.match(fish.stdout, /complete -c zonectl -f -a '\(__zonectl_complete\)'/);
    const bad = await runCli(['completion', 'powershell']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Expected powershell to be one of: bash, zsh, fish/);
  });
});
