#!/usr/bin/env node
// `npm run test:reliability`: the attacks of issue 11 as a suite (test/reliability/*.test.ts), run
// one file at a time (they load the machine on purpose), bounded to 15 minutes in total. The
// files record figures, secrets they saw and every process's output in one directory; the last
// file (h-secrets) greps those outputs for the secrets; then this script writes
// docs/reliability.md from the figures (only after a full-scale run that passed, so a quick local
// run with ZONECTL_RELIABILITY_SCALE=0.05 never overwrites the committed figures).
//
// Extra args narrow the run: `node scripts/test-reliability.mjs test/reliability/c-client-hello-fuzz.test.ts`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, type as osType } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.mjs';

const TOTAL_LIMIT_MS = 15 * 60_000;
const DIR = 'test/reliability';
const args = process.argv.slice(2);
const named = args.filter((a) => !a.startsWith('-'));
const files = named.length ? named : readdirSync(DIR).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(DIR, f));
const scale = Number(process.env.ZONECTL_RELIABILITY_SCALE ?? '1');
if (!(scale > 0 && scale <= 1)) {
  console.error(`ZONECTL_RELIABILITY_SCALE must be in (0, 1], got ${process.env.ZONECTL_RELIABILITY_SCALE}`);
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'zonectl-reliability-'));
const env = { ...process.env, NODE_ENV: 'test', FORCE_COLOR: '0', ZONECTL_RELIABILITY_OUT: out, ZONECTL_RELIABILITY_SCALE: String(scale) };
const started = new Date();
const load0 = loadavg();

let postgres;
let child;
let timedOut = false;
const cleanup = async () => {
  if (postgres) await postgres.stop().catch((err) => console.error(`could not stop the embedded PostgreSQL: ${err?.message ?? err}`));
  postgres = undefined;
};
// The runner and every process the tests start share one process group (detached), so a
// timeout or ^C ends all of them, and nothing outlives the run even if a test file crashed
// before its teardown.
const killGroup = (sig) => {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // the group is gone already
  }
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child && killGroup(sig));

let code = 1;
try {
  if (!env.ZONECTL_TEST_POSTGRES_URL && files.some((f) => readFileSync(f, 'utf8').includes('helpers/postgres'))) {
    postgres = await startEmbeddedPostgres();
    env.ZONECTL_TEST_POSTGRES_URL = postgres.url;
    console.log(`embedded PostgreSQL on 127.0.0.1:${postgres.port} for this run`);
  }
  // One file at a time, in name order (h-secrets last); every file has its own budgets within the total.
  child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${TOTAL_LIMIT_MS}`, '--test-reporter=spec', ...args.filter((a) => a.startsWith('-')), ...files], { stdio: 'inherit', env, detached: true });
  const limit = setTimeout(() => {
    timedOut = true;
    console.error(`test:reliability: over its ${TOTAL_LIMIT_MS / 60_000} minute limit, stopping`);
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 10_000).unref();
  }, TOTAL_LIMIT_MS);
  const [c, signal] = await new Promise((resolve) => child.on('exit', (x, s) => resolve([x, s])));
  clearTimeout(limit);
  killGroup('SIGKILL');
  code = c ?? (signal ? 1 : 1);
  if (timedOut) code = 1;
} finally {
  await cleanup();
}

const seconds = Math.round((Date.now() - started.getTime()) / 1000);
const figures = readLines(join(out, 'figures.jsonl'));
const full = named.length === 0 && scale === 1;
if (code === 0 && full) {
  writeFileSync('docs/reliability.md', renderDoc(figures, seconds));
  console.log('wrote docs/reliability.md');
} else {
  console.log(`docs/reliability.md not written (${code !== 0 ? 'the run failed' : 'not a full run at scale 1'}); figures:`);
  for (const f of figures) console.log(`  ${f.part}: ${f.figure} = ${f.value}`);
}
console.log(`test:reliability: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s (limit ${TOTAL_LIMIT_MS / 1000} s), load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
if (process.env.ZONECTL_RELIABILITY_KEEP) console.log(`outputs kept in ${out}`);
else rmSync(out, { recursive: true, force: true });
process.exit(code);

function readLines(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

function renderDoc(figs, secs) {
  const cpu = cpus();
  const parts = new Map();
  for (const f of figs) {
    if (!parts.has(f.part)) parts.set(f.part, []);
    parts.get(f.part).push(f);
  }
  const fmt = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
  const lines = [
    '# Reliability: figures of the last full run',
    '',
    '<!-- Written by `npm run test:reliability` (scripts/test-reliability.mjs) after a full run that passed; do not edit by hand. -->',
    '',
    'The attacks of issue 11 as a suite, each part asserting as it goes (a part that fails fails the',
    'run, and this file is not rewritten). What each part does is in test/reliability/; every process',
    'is a real `zonectl` (`node bin/run.js`) on 127.0.0.1 port 0.',
    '',
    `- date: ${started.toISOString()}`,
    `- machine: ${osType()} ${release()}, ${cpu.length} CPUs (${cpu[0]?.model ?? 'unknown model'}), node ${process.version}`,
    `- duration: ${secs} s (limit ${TOTAL_LIMIT_MS / 1000} s)`,
    `- load average (1/5/15 min): ${load0.map((l) => l.toFixed(2)).join(' / ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' / ')} at end. The machine is shared with other work (other agents' builds and tests ran at the same time), so durations and rates are lower bounds of what an idle machine does; the counts and the zeros are what the suite asserts.`,
    '',
  ];
  for (const [part, list] of parts) {
    lines.push(`## ${part}`, '', '| figure | value |', '|---|---|');
    for (const f of list) lines.push(`| ${f.figure} | ${fmt(f.value)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
