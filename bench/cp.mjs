#!/usr/bin/env node
// `npm run bench:cp`: the control plane's REST API under load, on this machine, bounded to about a
// minute. Each figure is printed with a baseline measured in the same run: a bare node:http server
// (same child-process setup, same autocannon settings) that reads the body and answers `{}`.
//   1. PUT of 10,000 distinct ZoneEgresses, 50 concurrent clients, SQLite store (target >= 2,000/s)
//   2. GET of one page of 100 from those 10,000 resources, 10 clients (target p99 < 20 ms)
//   3. RSS of the control-plane process holding 10,000 resources (target < 150 MB)
// Uses the built CLI (npm run build first). Results also go to bench/.out/cp.json.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
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
      if (m) resolve({ proc, url: m[1] });
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
  const r = await autocannon({
    url,
    connections: 50,
    amount: COUNT,
    timeout: 30,
    requests: [{ method: 'PUT', setupRequest: (req) => ({ ...req, path: `/zoneegresses/ze-${i}`, headers: { 'content-type': 'application/json' }, body: egress(i++) }) }],
  });
  return { reqPerSec: Math.round(r.requests.total / (r.duration || 1)), p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
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

const dir = mkdtempSync(join(tmpdir(), 'zonectl-bench-cp-'));
const results = { loadAverageAtStart: loadavg()[0] };
let base;
let cp;
try {
  base = await start(['-e', BASELINE]);
  results.baselinePut = await putPhase(base.url);
  results.baselineGet = await getPhase(base.url);
  base.proc.kill('SIGKILL');

  cp = await start([join(ROOT, 'bin', 'run.js'), 'control-plane', 'run', '--api-port', '0', '--data-dir', dir, '--store', 'sqlite']);
  results.rssIdleMb = Math.round(rssMb(cp.proc.pid) * 10) / 10;
  results.put = await putPhase(cp.url);
  const listed = await (await fetch(`${cp.url}/zoneegresses?size=1`)).json();
  results.stored = listed.total;
  results.get = await getPhase(cp.url);
  results.getOneClient = await getPhase(cp.url, 1, 3);
  results.rssMb = Math.round(rssMb(cp.proc.pid) * 10) / 10;
} finally {
  base?.proc.kill('SIGKILL');
  cp?.proc.kill('SIGTERM');
}
await new Promise((r) => (cp && cp.proc.exitCode === null ? cp.proc.on('exit', r) : r()));
rmSync(dir, { recursive: true, force: true });

const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a');
const ok = (cond) => (cond ? 'PASS' : 'FAIL');
const lines = [
  `control plane REST benchmark (${COUNT} ZoneEgresses, SQLite store, node ${process.version}; load average ${results.loadAverageAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)`,
  `  PUT distinct, 50 clients: ${results.put.reqPerSec} req/s (p99 ${results.put.p99Ms} ms, non-2xx ${results.put.non2xx}, errors ${results.put.errors})` +
    `  | baseline ${results.baselinePut.reqPerSec} req/s, ratio ${ratio(results.put.reqPerSec, results.baselinePut.reqPerSec)}  [target >= 2000/s: ${ok(results.put.reqPerSec >= 2000 && results.put.non2xx === 0)}]`,
  `  GET page of 100 of ${results.stored}, 10 clients: p99 ${results.get.p99Ms} ms, p50 ${results.get.p50Ms} ms, ${results.get.reqPerSec} req/s` +
    `  | baseline p99 ${results.baselineGet.p99Ms} ms, ${results.baselineGet.reqPerSec} req/s, throughput ratio ${ratio(results.get.reqPerSec, results.baselineGet.reqPerSec)}  [target p99 < 20 ms: ${ok(results.get.p99Ms < 20 && results.get.non2xx === 0)}]`,
  `  GET page of 100, 1 client: p99 ${results.getOneClient.p99Ms} ms, p50 ${results.getOneClient.p50Ms} ms, ${results.getOneClient.reqPerSec} req/s`,
  `  RSS with ${results.stored} resources: ${results.rssMb} MB (empty, just started: ${results.rssIdleMb} MB)  [target < 150 MB: ${ok(results.rssMb < 150)}]`,
];
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'bench', '.out'), { recursive: true });
writeFileSync(join(ROOT, 'bench', '.out', 'cp.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2) + '\n');
