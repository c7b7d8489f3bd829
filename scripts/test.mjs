#!/usr/bin/env node
// Runs every test/**/*.test.ts through node:test with tsx. Node 20's --test does not expand globs,
// so the file list is collected here. Extra args narrow the run: `node scripts/test.mjs test/egress`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'fixtures' || entry === 'golden' || entry === 'node_modules') continue;
    collect(join(path, entry), out);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...passthrough, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', FORCE_COLOR: '0' } },
);
process.exit(res.status ?? 1);
