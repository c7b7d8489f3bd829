#!/usr/bin/env node
// `npm run bench:validate`: start-up and throughput of `zonectl validate`, each measured as total
// process time (CPU time, user + system, from process start to exit; median of interleaved runs)
// against `node -e 0` in the same run, so the ratios hold on any machine; wall-clock times are
// shown beside them. Targets (issue 2): --version <= 1.5x and `validate one.yaml` <= 1.7x of
// node -e 0; 1 MiB (~5,000 documents) < 250 ms including line numbers. Needs `npm run build`
// first. Exit 1 when a target is missed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateManifests } from './validate/generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', '.out');
mkdirSync(out, { recursive: true });
const bin = join(root, 'bin', 'run.js');
const big = join(out, 'validate-1mib.yaml');
const { text, documents } = generateManifests();
writeFileSync(big, text);
const one = join(out, 'one.yaml');
copyFileSync(join(root, 'examples', 'zoneegress.yaml'), one);

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cases = [
  { id: 'node', label: 'node -e 0 (baseline)', args: ['-e', '0'], codes: [0] },
  { id: 'version', label: 'zonectl --version', args: [bin, '--version'], codes: [0] },
  { id: 'one', label: 'zonectl validate one.yaml', args: [bin, 'validate', one], codes: [0] },
  { id: 'big', label: `zonectl validate 1 MiB (${documents} docs)`, args: [bin, 'validate', big], codes: [3] },
  { id: 'naive', label: 'naive yaml.parseAllDocuments, 1 MiB', args: [join(root, 'bench', 'validate', 'naive.mjs'), big], codes: [0] },
];
const preload = join(root, 'bench', 'validate', 'cpu-time.mjs');

function once(c) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ['--import', preload, ...c.args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!c.codes.includes(res.status)) throw new Error(`${c.label}: exit ${res.status}\n${res.stderr}`);
  const cpu = Number(/@@cpu-ms ([\d.]+)/.exec(String(res.stderr))?.[1]);
  return { wall, cpu };
}

for (const c of cases) once(c); // warm the file cache
const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
for (let i = 0; i < runs; i++) for (const c of cases) samples[c.id].push(once(c));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(cases.map((c) => [c.id, median(samples[c.id].map((s) => s.cpu))]));
const w = Object.fromEntries(cases.map((c) => [c.id, median(samples[c.id].map((s) => s.wall))]));

const head = `  ${'case'.padEnd(42)} ${'process'.padStart(9)}  ${'ratio'.padStart(6)}  ${'wall'.padStart(9)}`;
const rows = cases.map(
  (c) => `  ${c.label.padEnd(42)} ${m[c.id].toFixed(1).padStart(6)} ms  ${(m[c.id] / m.node).toFixed(2).padStart(5)}x  ${w[c.id].toFixed(1).padStart(6)} ms`,
);
console.log(`zonectl validate benchmark: median of ${runs} runs, ${(text.length / 1048576).toFixed(2)} MiB input, ratios to node -e 0`);
console.log([head, ...rows].join('\n'));
const checks = [
  [`--version within 1.5x of node -e 0`, m.version / m.node <= 1.5, `${(m.version / m.node).toFixed(2)}x`],
  [`validate one.yaml within 1.7x of node -e 0`, m.one / m.node <= 1.7, `${(m.one / m.node).toFixed(2)}x`],
  [`1 MiB validated in < 250 ms`, m.big < 250, `${m.big.toFixed(0)} ms, ${Math.round(documents / (m.big / 1000))} docs/s`],
  [`faster than the naive yaml path`, m.big < m.naive, `${(m.naive / m.big).toFixed(1)}x faster`],
];
for (const [what, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${detail}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
