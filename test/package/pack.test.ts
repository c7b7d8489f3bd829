/**
 * The path of users who do not clone: `npm pack` then `npm install -g ./zonectl-*.tgz`. Packs this
 * checkout, installs the tarball into a temporary prefix (dependencies from the npm registry or its
 * cache, better-sqlite3 built by its install script), and runs the installed `zonectl` from a
 * directory outside the repository, so a runtime file missing from package.json's `files` fails
 * here. Slow (a native build): run by `npm run test:package` (and .ci/run), not by `npm test`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

test('npm pack -> npm install -g ./zonectl-*.tgz -> zonectl runs validate, --version and demo --once', { timeout: 20 * 60_000 }, async (t) => {
  const dir = tmpDir(t, 'zonectl-pack-');
  // dist/ is built by `npm run build` before this test; --ignore-scripts keeps pack from rebuilding it.
  const packed = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT, 120_000);
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = new Set(info.files.map((f) => f.path));
  for (const schema of readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.json'))) assert.ok(files.has(`schemas/${schema}`), `schemas/${schema} is not in the tarball`);
  for (const f of ['bin/run.js', 'package.json', 'oclif.manifest.json', 'dist/fast/index.js', 'dist/commands/validate.js', 'dist/cli/hooks/not-found.js']) assert.ok(files.has(f), `${f} is not in the tarball`);
  for (const f of files) assert.ok(!/^(src|test|bench|scripts)\//.test(f), `${f} should not ship`);

  const prefix = join(dir, 'prefix');
  const installed = run(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], dir, 15 * 60_000);
  assert.equal(installed.code, 0, `${installed.stderr}\n${String(installed.error ?? '')}`);
  const zonectl = join(prefix, 'bin', 'zonectl');
  assert.ok(existsSync(zonectl), 'npm install -g put no zonectl in <prefix>/bin');

  const work = tmpDir(t, 'zonectl-user-');
  const version = run(zonectl, ['--version'], work);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^zonectl\/\d+\.\d+\.\d+ /);

  copyFileSync(join(ROOT, 'examples', 'zoneegress.yaml'), join(work, 'zoneegress.yaml'));
  const validate = run(zonectl, ['validate', 'zoneegress.yaml'], work);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.equal(validate.stdout, 'OK: 1 document in 1 file, all valid\n');

  const help = run(zonectl, ['help', 'validate'], work);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /--allow-empty/);

  const demo = run(zonectl, ['demo', '--once'], work, 180_000);
  assert.equal(demo.code, 0, demo.stdout + demo.stderr);
  assert.match(demo.stdout, /zoneegress-1 +Online/);
});
