import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

test("the README's command reference is what `npm run readme` generates from the commands", () => {
  const res = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'oclif', 'bin', 'run.js'), 'readme', '--no-aliases', '--dry-run'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const section = (text: string) => text.slice(text.indexOf('<!-- commands -->\n'), text.indexOf('<!-- commandsstop -->'));
  assert.equal(section(readFileSync(join(ROOT, 'README.md'), 'utf8')), section(res.stdout), 'README command reference is stale: run npm run readme');
});

test('the README starts with the set-up commands', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const setup = readme.slice(readme.indexOf('## Set-up'), readme.indexOf('## Set-up') + 400);
  for (const cmd of ['npm install', 'npm test', 'npm start']) assert.ok(setup.includes(cmd), `README set-up lacks ${cmd}`);
});
