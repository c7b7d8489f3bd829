import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../../helpers/cli.js';
import { startTestControlPlane } from '../../helpers/cp.js';
import { assertGolden } from '../../helpers/golden.js';
import { tmpDir } from '../../helpers/tmp.js';

const kuma = (name: string): string => new URL(`../../fixtures/kuma-replay/config/${name}`, import.meta.url).pathname;

/** A config file in a temp dir, optionally starting from one of kumactl's initial configs. */
function configFrom(t: TestContext, initial?: string): { file: string; env: Record<string, string> } {
  const dir = tmpDir(t);
  const file = join(dir, 'config');
  if (initial) copyFileSync(kuma(initial), file);
  return { file, env: { ZONECTL_CONFIG: file, HOME: dir } };
}

const parsed = (file: string): unknown => parse(readFileSync(file, 'utf8'));

const ADD = ['config', 'control-planes', 'add', '--name', 'example', '--address', 'http://placeholder-address', '--skip-check', '--ca-cert-file', '/tmp/ca-cert.pem', '--client-cert-file', '/tmp/client.cert.pem', '--client-key-file', '/tmp/client.key.pem'];

describe("config control-planes: the same files as kumactl's goldens", () => {
  const addCases: [string, string[]][] = [
    ['01', []],
    ['02', []],
    ['03', ['--overwrite']],
    ['04', ['--overwrite', '--headers', 'abc=xyz', '--headers', 'def=pqr']],
    ['05', ['--overwrite', '--headers', 'abc=xyz']],
  ];
  for (const [n, extra] of addCases) {
    test(`add ${n}`, async (t) => {
      const { file, env } = configFrom(t, `config-control-planes-add.${n}.initial.yaml`);
      const r = await runCli([...ADD, ...extra], { env });
      assert.deepEqual([r.code, r.stdout], [0, 'added Control Plane "example"\nswitched active Control Plane to "example"\n'], r.stderr);
      assert.deepEqual(parsed(file), parsed(kuma(`config-control-planes-add.${n}.golden.yaml`)));
      assert.equal(statSync(file).mode & 0o777, 0o600);
    });
  }

  test('add refuses to replace a control plane without --overwrite (exit 3), and checks the address unless --skip-check', async (t) => {
    const { env } = configFrom(t, 'config-control-planes-add.02.initial.yaml');
    const dup = await runCli(['config', 'control-planes', 'add', '--name', 'test1', '--address', 'http://x', '--skip-check'], { env });
    assert.deepEqual([dup.code, dup.stderr], [3, 'Error: Control Plane with name "test1" already exists. Use --overwrite to replace an existing one.\n']);
    const down = await runCli(['config', 'control-planes', 'add', '--name', 'down', '--address', 'http://127.0.0.1:1'], { env });
    assert.deepEqual([down.code, down.stderr], [1, "Error: control plane at http://127.0.0.1:1 refused the connection (is 'zonectl control-plane run' running?)\n"]);
    const cp = await startTestControlPlane(t);
    const up = await runCli(['config', 'control-planes', 'add', '--name', 'up', '--address', cp.url], { env });
    assert.equal(up.code, 0, up.stderr);
    const get = await runCli(['get', 'meshes'], { env });
    assert.deepEqual([get.code, get.stdout], [0, 'NAME   mTLS   LOCALITY   ZONEEGRESS   AGE\n'], get.stderr);
    // ZONECTL_CONTEXT (or --context) picks another context for one command.
    const other = await runCli(['get', 'meshes', '--api-timeout', '2s'], { env: { ...env, ZONECTL_CONTEXT: 'test1' } });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^Error: control plane at https:\/\/test1\.internal:5681 (could not be resolved|did not answer)/);
  });

  for (const n of ['11', '12']) {
    test(`use ${n}`, async (t) => {
      const { file, env } = configFrom(t, `config-control-planes-use.${n}.initial.yaml`);
      const r = await runCli(['config', 'control-planes', 'use', 'example'], { env });
      assert.deepEqual([r.code, r.stdout], [0, 'switched active Control Plane to "example"\n'], r.stderr);
      assert.deepEqual(parsed(file), parsed(kuma(`config-control-planes-use.${n}.golden.yaml`)));
    });
  }

  for (const n of ['11', '12', '13']) {
    test(`remove ${n}`, async (t) => {
      const { file, env } = configFrom(t, `config-control-planes-remove.${n}.initial.yaml`);
      const r = await runCli(['config', 'control-planes', 'remove', '--name', 'example'], { env });
      assert.equal(r.code, 0, r.stderr);
      // kumactl's two lines: the removal, then which control plane is active now (or that none is).
      assert.match(r.stdout, /^removed Control Plane "example"\n(switched active Control Plane to "[^"]+"|there is no active Control Plane left\. Use `zonectl config control-planes add` to add a Control Plane and make it active)\n$/);
      assert.deepEqual(parsed(file), parsed(kuma(`config-control-planes-remove.${n}.golden.yaml`)));
    });
  }

  test('use/remove of an unknown control plane exits 1', async (t) => {
    const { env } = configFrom(t, 'config-control-planes-use.11.initial.yaml');
    const r = await runCli(['config', 'control-planes', 'use', 'nope'], { env });
    assert.deepEqual([r.code, r.stderr], [1, `Error: there is no Control Plane with name "nope" (see 'zonectl config control-planes list')\n`]);
  });

  test('list and view (snake_case input, as kumactl reads it)', async (t) => {
    const { env } = configFrom(t, 'config-control-planes-list.config.yaml');
    const [list, view, json] = await Promise.all([
      runCli(['config', 'control-planes', 'list'], { env }),
      runCli(['config', 'view'], { env }),
      runCli(['config', 'control-planes', 'list', '--json'], { env }),
    ]);
    assert.equal(list.stdout, readFileSync(kuma('config-control-planes-list.golden.txt'), 'utf8'));
    assert.equal(view.stdout, readFileSync(kuma('config-view.golden.yaml'), 'utf8'));
    assertGolden('config/control-planes-list.json', json.stdout);
  });

  test('first use of any command writes the local context to ~/.zonectl/config', async (t) => {
    const dir = tmpDir(t);
    const file = join(dir, '.zonectl', 'config');
    const env = { HOME: dir, ZONECTL_CONFIG: undefined };
    const r = await runCli(['config', 'view'], { env });
    assert.equal(r.code, 0, r.stderr);
    assertGolden('config/first-use.yaml', r.stdout);
    assert.equal(readFileSync(file, 'utf8'), r.stdout);
  });

  test('a broken config file is a usage error naming it', async (t) => {
    const { file, env } = configFrom(t);
    writeFileSync(file, 'contexts: [\n');
    const r = await runCli(['get', 'meshes'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^Error: the config file ${file} is not valid YAML: .* \\(fix it, or pass --no-config\\)\\n$`));
  });
});
