#!/usr/bin/env node
// Runs every test/**/*.test.ts through node:test with tsx. Node 20's --test does not expand globs,
// so the file list is collected here. Extra args narrow the run: `node scripts/test.mjs test/egress`.
//
// When a selected file uses real PostgreSQL (imports test/helpers/postgres), ONE embedded server
// is started for the whole run (its admin URL in ZONECTL_TEST_POSTGRES_URL; each test makes its
// own database) and stopped, its directory removed, when the run ends, also on failure or ^C.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.mjs';

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
// Suites with their own npm script (slow, or needing what `npm test` must not wait for) run only
// when named: `npm run test:package` runs test/package; `npm run test:reliability` (through
// scripts/test-reliability.mjs, which sets its budgets and writes docs/reliability.md) runs test/reliability.
const SEPARATE = new Set(['test/package', 'test/reliability']);
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, [])).filter((f) => roots.length > 0 || ![...SEPARATE].some((d) => f.startsWith(`${d}/`)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const env = { ...process.env, NODE_ENV: 'test', FORCE_COLOR: '0' };
let postgres;
if (!env.ZONECTL_TEST_POSTGRES_URL && files.some((f) => readFileSync(f, 'utf8').includes('helpers/postgres'))) {
  const t0 = Date.now();
  postgres = await startEmbeddedPostgres();
  env.ZONECTL_TEST_POSTGRES_URL = postgres.url;
  console.log(`embedded PostgreSQL on 127.0.0.1:${postgres.port} for this run (started in ${Date.now() - t0} ms)`);
}

// A test that hangs fails after 5 minutes instead of holding CI until its limit (a test may set a longer timeout).
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...passthrough, ...files], { stdio: 'inherit', env });
// ^C reaches the test runner too (same process group); we only wait for it and clean up.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
if (postgres) await postgres.stop().catch((err) => console.error(`could not stop the embedded PostgreSQL: ${err?.message ?? err}`));
process.exit(code ?? (signal ? 1 : 1));
