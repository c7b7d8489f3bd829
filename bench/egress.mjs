#!/usr/bin/env node
// npm run bench:egress — zonectl's egress vs nginx (stream + ssl_preread, one worker) vs direct,
// all on 127.0.0.1, interleaved in one run, printed as ratios. Bounded: about 7-8 minutes.
//
// The 2-core machine: each proxy (nginx's one worker, zonectl's one process) is pinned to CPU 1;
// the load generator and the backends are pinned to CPU 0. Both proxies thus get the same single
// core and neither competes with the load; when the client core saturates first, throughput
// ratios approach 1 and the proxy CPU figures (from /proc/<pid>/stat) are what tells them apart.
// Env: BENCH_ROUNDS (default 5), BENCH_SECONDS (default 3), BENCH_WARM (default 1), BENCH_IDLE (default 9900).
// Flags: --only PHASE[,PHASE] (bulk, connrate, latency, tls, rss, workers, policies).
// The `policies` phase runs zonectl with 10 MeshTrafficPermission entries on the mTLS route and the
// access log on (to a file) against the same zonectl without them, interleaved, both pinned as above.
// The `workers` phase compares `dp run --workers 2` with nginx `worker_processes 2` and with
// zonectl's own `--workers 1`, all unpinned (both cores, shared with two load-generator processes
// and the backends): comparable with each other within the run, not absolute figures.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
// 2 fds per relayed connection, a hard limit of 20,000 open files per process here (not raisable
// in this container), and node's own ~30 fds (epoll, pipes, inotify): 9,900 fits.
const IDLE = Number(process.env.BENCH_IDLE ?? 9900);
// Seconds of unmeasured connections right before each new-connection measurement (BENCH_WARM): a
// Node process left idle while the other targets ran has had its young generation shrunk by V8's
// memory reducer, and the first second of a burst then pays 2-3x the scavenges (measured with
// --trace-gc: 51 vs 23). The figures are for steady load, for every target alike.
const WARM = Number(process.env.BENCH_WARM ?? 1);
// BENCH_PHASES=bulk,connrate,latency,tls,rss (or `--only connrate,latency`) runs a subset (while tuning).
const onlyAt = process.argv.indexOf('--only');
const PHASES = new Set((onlyAt > 0 ? process.argv[onlyAt + 1] : (process.env.BENCH_PHASES ?? 'bulk,connrate,latency,tls,rss,workers,policies')).split(','));
const PROXY_CPU = '1';
const LOAD_CPU = '0';
const TICK = 100; // USER_HZ
const work = mkdtempSync(join(tmpdir(), 'zonectl-bench-egress-'));
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function log(...a) {
  console.error(...a);
}

// ---- prerequisites --------------------------------------------------------------------------
function ensureNginx() {
  const has = () => spawnSync('nginx', ['-v']).status === 0 && existsSync('/usr/lib/nginx/modules/ngx_stream_module.so');
  if (has()) return;
  log('installing nginx with its stream module from apt (nginx, libnginx-mod-stream)...');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', 'nginx', 'libnginx-mod-stream'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!has()) throw new Error('nginx or its stream module is still missing after apt-get install');
}
if (!existsSync(join(root, 'dist', 'egress', 'egress.js'))) {
  log('building zonectl (dist/ is missing)...');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
ensureNginx();

// ---- helpers --------------------------------------------------------------------------------
function pinned(cpu, cmd, args, opts = {}) {
  const c = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  children.push(c);
  return c;
}
function firstLine(child) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) {
        child.stdout.removeListener('data', onData);
        resolve(JSON.parse(buf.slice(0, i)));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before answering`)));
  });
}
async function runClient(opts) {
  const c = pinned(LOAD_CPU, process.execPath, [join(root, 'bench', 'egress', 'client.mjs'), JSON.stringify(opts)]);
  return firstLine(c);
}
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
}
/** Kernel (system) CPU of a process: with cpuSeconds, splits a proxy's cost into user and kernel. */
function sysSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[12]) / TICK;
}
/** CPU of a process and all its descendants (nginx's workers, zonectl's primary and workers). */
function treeCpuSeconds(pid) {
  let total = cpuSeconds(pid);
  for (const task of existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : []) {
    const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const kid of kids ? kids.split(/\s+/) : []) total += treeCpuSeconds(Number(kid));
  }
  return total;
}
const load = () => loadavg()[0].toFixed(1);
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// A ratio of target a against target b: the median of the per-round ratios. Each round measures
// them back to back, so a drift of the shared machine between rounds (this VM's CPU time per
// connection moves by 20-30 % over minutes) cancels out; every round's ratio is shown too, and the
// ratio of the medians after them. `xs`, `ys`: one measurement per round.
function pairedRatio(xs, ys, key) {
  if (!xs || !ys) return 'NaN';
  const rs = xs.map((x, i) => x[key] / ys[i][key]);
  const ofMedians = median(xs.map((x) => x[key])) / median(ys.map((y) => y[key]));
  return `${median(rs).toFixed(2)} [rounds ${rs.map((r) => r.toFixed(2)).join(' ')}; medians ${ofMedians.toFixed(2)}]`;
}

// ---- set-up ---------------------------------------------------------------------------------
const pki = await import(join(root, 'dist', 'core', 'pki.js'));
const DAY = 86_400_000;
const ca = await pki.createCA({ commonName: 'bench mesh CA', validForMs: DAY });
const identity = await pki.issueCertificate({ ca, uris: ['spiffe://bench/zone-egress'], usage: 'server', validForMs: DAY });
const clientCert = await pki.issueCertificate({ ca, uris: ['spiffe://bench/client'], usage: 'client', validForMs: DAY });
for (const [n, v] of Object.entries({ 'ca.crt': ca.certPem, 'id.crt': identity.certPem, 'id.key': identity.keyPem })) writeFileSync(join(work, n), v, { mode: 0o600 });

const backend = pinned(LOAD_CPU, process.execPath, [join(root, 'bench', 'egress', 'backend.mjs')]);
const ports = await firstLine(backend);
const SNI = { bulk: 'bulk{mesh=bench}', echo1: 'echo1{mesh=bench}', echo: 'echo{mesh=bench}', hold: 'hold{mesh=bench}', tls: 'tlsbulk{mesh=bench}' };

const nginxPort = await freePort();
const nginxTlsPort = await freePort();
const nginxConf = `worker_processes 1;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_rlimit_nofile 20000;
events { worker_connections 20000; }
stream {
  map $ssl_preread_server_name $up {
${['bulk', 'echo1', 'echo', 'hold'].map((k) => `    "${SNI[k]}" 127.0.0.1:${ports[k]};`).join('\n')}
  }
  server { listen 127.0.0.1:${nginxPort} backlog=4096; ssl_preread on; proxy_pass $up; }
  server {
    listen 127.0.0.1:${nginxTlsPort} ssl backlog=4096;
    ssl_certificate ${work}/id.crt;
    ssl_certificate_key ${work}/id.key;
    ssl_client_certificate ${work}/ca.crt;
    ssl_verify_client on;
    proxy_pass 127.0.0.1:${ports.bulk};
  }
}
`;
writeFileSync(join(work, 'nginx.conf'), nginxConf);
const nginx = pinned(PROXY_CPU, 'nginx', ['-e', join(work, 'nginx-error.log'), '-p', work, '-c', join(work, 'nginx.conf')]);
await waitPort(nginxPort);
// taskset execs nginx, so the child is the master; its one child is the worker that does the work.
const nginxWorkerPid = Number(readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/)[0]);

const zPort = await freePort();
const zAdmin = await freePort();
const routes = {
  version: 'bench',
  identities: [{ mesh: 'bench', certFile: 'id.crt', keyFile: 'id.key', caFile: 'ca.crt' }],
  routes: [
    ...['bulk', 'echo1', 'echo', 'hold'].map((k) => ({ kind: 'passthrough', sni: SNI[k], mesh: 'bench', service: k, endpoints: [{ address: '127.0.0.1', port: ports[k], weight: 1 }] })),
    { kind: 'terminating', sni: SNI.tls, mesh: 'bench', service: 'tlsbulk', address: '127.0.0.1', port: ports.bulk },
  ],
};
writeFileSync(join(work, 'routes.yaml'), JSON.stringify(routes)); // JSON is YAML
// ZONECTL_BENCH_NODE_OPTIONS, e.g. --cpu-prof, profiles the proxy.
const zonectl = pinned(PROXY_CPU, process.execPath, [...(process.env.ZONECTL_BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean), join(root, 'bin', 'run.js'), 'dp', 'run', '--proxy-type=egress', '--routes-file', join(work, 'routes.yaml'), '--address', '127.0.0.1', '--port', String(zPort), '--admin-port', String(zAdmin), '--workers', '1', '--log-level', 'warn']);
await waitPort(zPort);
// The same zonectl on its net.Socket data path (ZONECTL_EGRESS_RAW_HANDLES=0), measured beside
// the default (libuv handles, src/egress/handle-relay.ts): the raw path's effect in the same run.
const zsPort = await freePort();
const zonectlSockets = pinned(PROXY_CPU, process.execPath, [join(root, 'bin', 'run.js'), 'dp', 'run', '--proxy-type=egress', '--routes-file', join(work, 'routes.yaml'), '--address', '127.0.0.1', '--port', String(zsPort), '--admin-port', String(await freePort()), '--workers', '1', '--log-level', 'warn'], { env: { ...process.env, ZONECTL_EGRESS_RAW_HANDLES: '0' } });
await waitPort(zsPort);
// The floor of any Node relay (bench/egress/naive-relay.mjs), pinned like the proxies: the
// connrate phase measures it too, so zonectl's own per-connection cost is told from Node's.
const naive = pinned(PROXY_CPU, process.execPath, [join(root, 'bench', 'egress', 'naive-relay.mjs'), '0', String(ports.echo1)]);
const naivePort = (await firstLine(naive)).port;
// The same relay on libuv's TCP handles below net.Socket (bench/egress/raw-relay.mjs): what a Node
// relay costs without net.Socket's stream machinery.
const raw = pinned(PROXY_CPU, process.execPath, [join(root, 'bench', 'egress', 'raw-relay.mjs'), '0', String(ports.echo1)]);
const rawPort = (await firstLine(raw)).port;

const targets = {
  direct: { port: (k) => ports[k], pid: undefined },
  nginx: { port: () => nginxPort, tlsPort: nginxTlsPort, pid: nginxWorkerPid },
  zonectl: { port: () => zPort, tlsPort: zPort, pid: zonectl.pid },
  'zonectl-sockets': { port: () => zsPort, tlsPort: zsPort, pid: zonectlSockets.pid },
  'node-relay': { port: () => naivePort, pid: naive.pid },
  'raw-relay': { port: () => rawPort, pid: raw.pid },
};
const tlsOpts = { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem };
log(`backends ${JSON.stringify(ports)}; nginx worker pid ${nginxWorkerPid}; zonectl pid ${zonectl.pid}; ${ROUNDS} rounds x ${SECONDS}s`);

// ---- phases ---------------------------------------------------------------------------------
async function measure(target, fn) {
  const pid = targets[target].pid;
  const c0 = pid ? cpuSeconds(pid) : 0;
  const s0 = pid ? sysSeconds(pid) : 0;
  const res = await fn(targets[target]);
  res.cpu = pid ? cpuSeconds(pid) - c0 : undefined;
  res.sys = pid ? sysSeconds(pid) - s0 : undefined;
  return res;
}

const results = { bulk: {}, connrate: {}, latency: {}, tls: {}, rss: {}, workers: {} };
const loadAtStart = load();
const push = (phase, target, v) => (results[phase][target] ??= []).push(v);

// Warm-up, not measured: a fresh node process compiles its hot path during its first thousands of
// connections, and /proc's CPU counts V8's compiler threads, so an unwarmed zonectl pays its JIT in
// the first round's CPU per connection (nginx has nothing to warm).
if (PHASES.has('connrate') || PHASES.has('latency')) {
  for (const t of ['nginx', 'zonectl', 'zonectl-sockets', 'node-relay', 'raw-relay']) await runClient({ mode: 'connrate', port: targets[t].port('echo1'), sni: SNI.echo1, seconds: 2, concurrency: 50 });
}
// Every other round runs the targets in reverse order, so that a drift in the machine's load
// (other work on the shared cores) does not favour whichever target runs first.
const inOrder = (round, list) => (round % 2 ? list : [...list].reverse());
for (let round = 1; round <= ROUNDS; round++) {
  for (const t of PHASES.has('bulk') ? inOrder(round, ['direct', 'nginx', 'zonectl', 'zonectl-sockets']) : []) {
    const r = await measure(t, (x) => runClient({ mode: 'bulk', port: x.port('bulk'), sni: SNI.bulk, seconds: SECONDS }));
    push('bulk', t, { gibps: r.bytes / r.secs / 2 ** 30, cpuPerGiB: r.cpu === undefined ? undefined : r.cpu / (r.bytes / 2 ** 30) });
    log(`round ${round} bulk      ${t.padEnd(8)} ${(r.bytes / r.secs / 2 ** 30).toFixed(2)} GiB/s${r.cpu !== undefined ? `, proxy CPU ${(r.cpu / (r.bytes / 2 ** 30)).toFixed(3)} s/GiB` : ''}`);
  }
  for (const t of PHASES.has('connrate') ? inOrder(round, ['direct', 'nginx', 'zonectl', 'zonectl-sockets', 'node-relay', 'raw-relay']) : []) {
    if (WARM > 0) await runClient({ mode: 'connrate', port: targets[t].port('echo1'), sni: SNI.echo1, seconds: WARM, concurrency: 50 });
    const r = await measure(t, (x) => runClient({ mode: 'connrate', port: x.port('echo1'), sni: SNI.echo1, seconds: SECONDS, concurrency: 50 }));
    const us = (s) => (s / r.done) * 1e6;
    push('connrate', t, { cps: r.done / r.secs, cpuPerConnUs: r.cpu === undefined ? undefined : us(r.cpu), sysPerConnUs: r.sys === undefined ? undefined : us(r.sys), failed: r.failed, p50: r.p50, p99: r.p99 });
    log(`round ${round} conn/s    ${t.padEnd(8)} ${(r.done / r.secs).toFixed(0)} conn/s (${r.failed} failed), set-up p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms${r.cpu !== undefined ? `, proxy CPU ${us(r.cpu).toFixed(1)} us/conn (user ${us(r.cpu - r.sys).toFixed(1)}, kernel ${us(r.sys).toFixed(1)})` : ''} (load ${load()})`);
  }
  for (const t of PHASES.has('latency') ? inOrder(round, ['direct', 'nginx', 'zonectl', 'zonectl-sockets']) : []) {
    const r = await measure(t, (x) => runClient({ mode: 'latency', port: x.port('echo'), sni: SNI.echo, iterations: 20000, warmup: 2000 }));
    push('latency', t, r);
    log(`round ${round} latency   ${t.padEnd(8)} p50 ${r.p50.toFixed(1)} us, p99 ${r.p99.toFixed(1)} us`);
  }
  for (const t of PHASES.has('tls') ? inOrder(round, ['nginx', 'zonectl', 'zonectl-sockets']) : []) {
    const r = await measure(t, (x) => runClient({ mode: 'bulk', port: x.tlsPort, sni: SNI.tls, seconds: SECONDS, tls: tlsOpts }));
    push('tls', t, { gibps: r.bytes / r.secs / 2 ** 30, cpuPerGiB: r.cpu / (r.bytes / 2 ** 30) });
    log(`round ${round} mTLS bulk ${t.padEnd(8)} ${(r.bytes / r.secs / 2 ** 30).toFixed(2)} GiB/s, proxy CPU ${(r.cpu / (r.bytes / 2 ** 30)).toFixed(3)} s/GiB`);
  }
}

for (const t of PHASES.has('rss') ? ['nginx', 'zonectl'] : []) {
  const pid = targets[t].pid;
  const before = rssMiB(pid);
  const c = pinned(LOAD_CPU, process.execPath, [join(root, 'bench', 'egress', 'client.mjs'), JSON.stringify({ mode: 'idle', port: targets[t].port('hold'), sni: SNI.hold, n: IDLE })]);
  const ready = await firstLine(c);
  const rss = rssMiB(pid);
  c.stdin.write('close\n');
  await new Promise((r) => c.once('exit', r));
  push('rss', t, { before, rss, n: ready.ready });
  log(`idle      ${t.padEnd(8)} ${ready.ready} connections: RSS ${rss.toFixed(1)} MiB (idle process ${before.toFixed(1)} MiB)`);
}

// ---- workers: 2 processes each, unpinned -----------------------------------------------------
const BOTH = '0,1';
if (PHASES.has('workers')) {
  // nginx with 1 and with 2 worker processes, unpinned like zonectl's: nginx's own scaling on this
  // machine is the ceiling any proxy's 2-worker gain can reach here.
  const nginxW = (workers, port) => {
    const conf = join(work, `nginx-${workers}w.conf`);
    writeFileSync(
      conf,
      `worker_processes ${workers};
daemon off;
pid ${work}/nginx-${workers}w.pid;
error_log ${work}/nginx-${workers}w-error.log warn;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_rlimit_nofile 20000;
events { worker_connections 20000; }
stream {
  map $ssl_preread_server_name $up { "${SNI.echo1}" 127.0.0.1:${ports.echo1}; }
  server { listen 127.0.0.1:${port} backlog=4096; ssl_preread on; proxy_pass $up; }
}
`,
    );
    return pinned(BOTH, 'nginx', ['-e', join(work, `nginx-${workers}w-error.log`), '-p', work, '-c', conf]);
  };
  const n2Port = await freePort();
  const n1Port = await freePort();
  const nginx2 = nginxW(2, n2Port);
  const nginx1 = nginxW(1, n1Port);
  const zonectlW = (workers, port, admin) =>
    pinned(BOTH, process.execPath, [join(root, 'bin', 'run.js'), 'dp', 'run', '--proxy-type=egress', '--routes-file', join(work, 'routes.yaml'), '--address', '127.0.0.1', '--port', String(port), '--admin-port', String(admin), '--workers', String(workers), '--log-level', 'warn']);
  const z2Port = await freePort();
  const z1Port = await freePort();
  const z2 = zonectlW(2, z2Port, await freePort());
  const z1 = zonectlW(1, z1Port, await freePort());
  await Promise.all([waitPort(n2Port), waitPort(n1Port), waitPort(z2Port), waitPort(z1Port)]);
  // Warm-up, not measured (JIT, see above), which also lets every worker join the socket.
  for (const port of [n2Port, n1Port, z2Port, z1Port]) await runClient({ mode: 'connrate', port, sni: SNI.echo1, seconds: 2, concurrency: 50 });
  const wt = { 'nginx-2w': { port: n2Port, pid: nginx2.pid }, 'nginx-1w': { port: n1Port, pid: nginx1.pid }, 'zonectl-2w': { port: z2Port, pid: z2.pid }, 'zonectl-1w': { port: z1Port, pid: z1.pid } };
  results.workers = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [t, x] of inOrder(round, Object.entries(wt))) {
      if (WARM > 0) await Promise.all([0, 1].map(() => runClient({ mode: 'connrate', port: x.port, sni: SNI.echo1, seconds: WARM, concurrency: 25 })));
      const c0 = treeCpuSeconds(x.pid);
      const b0 = cpuSeconds(backend.pid);
      const clients = [0, 1].map(() => {
        const c = pinned(BOTH, process.execPath, [join(root, 'bench', 'egress', 'client.mjs'), JSON.stringify({ mode: 'connrate', port: x.port, sni: SNI.echo1, seconds: SECONDS, concurrency: 25 })]);
        return firstLine(c);
      });
      const rs = await Promise.all(clients);
      const cpu = treeCpuSeconds(x.pid) - c0;
      const done = rs.reduce((a, r) => a + r.done, 0);
      const cps = rs.reduce((a, r) => a + r.done / r.secs, 0);
      const secs = Math.max(...rs.map((r) => r.secs));
      // Cores busy during the round: the proxy (all its processes), and the load generator (both
      // clients and the backends). On 2 cores, proxy + load near 2.0 means the machine, not the
      // proxy, is the limit: a proxy that needs less CPU per connection leaves more for the load.
      const loadCores = (rs.reduce((a, r) => a + r.clientCpu, 0) + cpuSeconds(backend.pid) - b0) / secs;
      const v = { cps, cpuPerConnUs: (cpu / done) * 1e6, p50: Math.max(...rs.map((r) => r.p50)), p99: Math.max(...rs.map((r) => r.p99)), failed: rs.reduce((a, r) => a + r.failed, 0), load: loadavg()[0], proxyCores: cpu / secs, loadCores };
      push('workers', t, v);
      log(`round ${round} 2 cores   ${t.padEnd(10)} ${cps.toFixed(0)} conn/s (${v.failed} failed), set-up p50 ${v.p50.toFixed(2)} ms p99 ${v.p99.toFixed(2)} ms, proxy CPU ${v.cpuPerConnUs.toFixed(1)} us/conn; cores busy: proxy ${v.proxyCores.toFixed(2)}, load generator ${loadCores.toFixed(2)} (load ${load()})`);
    }
  }
  nginx2.kill('SIGQUIT');
  nginx1.kill('SIGQUIT');
  z2.kill('SIGTERM');
  z1.kill('SIGTERM');
}

// ---- policies: 10 MeshTrafficPermission entries and the access log vs none ----------------------
// Both proxies pinned to the proxy core, one after the other (never at once), rounds interleaved.
const policyLines = [];
if (PHASES.has('policies')) {
  const accessLogFile = join(work, 'access.log');
  const withPolicies = {
    ...routes,
    version: 'bench-policies',
    // Nine entries that do not select the bench client, then the one that allows it: every
    // decision walks all ten (the per-certificate cache then answers).
    permissions: { routes: [{ sni: SNI.tls, from: Array.from({ length: 10 }, (_, i) => ({ policy: `mtp-${i}`, kind: i % 2 ? 'MeshService' : 'MeshSubset', ...(i % 2 ? { name: i === 9 ? 'client' : `svc-${i}` } : { tags: { version: `v${i}` } }), action: i === 9 ? 'Allow' : 'Deny' })) }] },
    accessLog: { backends: [{ name: 'file', type: 'file', path: accessLogFile }], routes: Object.values(SNI).map((sni) => ({ sni, backends: ['file'] })), unrouted: ['file'] },
  };
  writeFileSync(join(work, 'routes-policies.yaml'), JSON.stringify(withPolicies));
  const start = (file) => pinned(PROXY_CPU, process.execPath, [join(root, 'bin', 'run.js'), 'dp', 'run', '--proxy-type=egress', '--routes-file', join(work, file), '--address', '127.0.0.1', '--port', String(file === 'routes.yaml' ? pBase : pPol), '--admin-port', '0', '--workers', '1', '--log-level', 'warn']);
  const pBase = await freePort();
  const pPol = await freePort();
  const zBase = start('routes.yaml');
  const zPol = start('routes-policies.yaml');
  await Promise.all([waitPort(pBase), waitPort(pPol)]);
  const pt = { without: { port: pBase, pid: zBase.pid }, with: { port: pPol, pid: zPol.pid } };
  for (const x of Object.values(pt)) await runClient({ mode: 'connrate', port: x.port, sni: SNI.echo1, seconds: 2, concurrency: 50 }); // warm-up (JIT)
  const pr = {};
  const add = (k, t, v) => ((pr[k] ??= {})[t] ??= []).push(v);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [t, x] of inOrder(round, Object.entries(pt))) {
      let c0 = cpuSeconds(x.pid);
      const b = await runClient({ mode: 'bulk', port: x.port, sni: SNI.bulk, seconds: SECONDS });
      add('bulk', t, { gibps: b.bytes / b.secs / 2 ** 30, cpu: (cpuSeconds(x.pid) - c0) / (b.bytes / 2 ** 30) });
      if (WARM > 0) await runClient({ mode: 'connrate', port: x.port, sni: SNI.echo1, seconds: WARM, concurrency: 50 });
      c0 = cpuSeconds(x.pid);
      const c = await runClient({ mode: 'connrate', port: x.port, sni: SNI.echo1, seconds: SECONDS, concurrency: 50 });
      add('conn', t, { cps: c.done / c.secs, cpu: ((cpuSeconds(x.pid) - c0) / c.done) * 1e6, p99: c.p99 });
      c0 = cpuSeconds(x.pid);
      const m = await runClient({ mode: 'bulk', port: x.port, sni: SNI.tls, seconds: SECONDS, tls: tlsOpts });
      add('tls', t, { gibps: m.bytes / m.secs / 2 ** 30, cpu: (cpuSeconds(x.pid) - c0) / (m.bytes / 2 ** 30) });
      log(`round ${round} policies  ${t.padEnd(8)} bulk ${(b.bytes / b.secs / 2 ** 30).toFixed(2)} GiB/s, ${(c.done / c.secs).toFixed(0)} conn/s (${c.failed} failed, ${pr.conn[t].at(-1).cpu.toFixed(1)} us/conn), mTLS bulk ${(m.bytes / m.secs / 2 ** 30).toFixed(2)} GiB/s (load ${load()})`);
    }
  }
  const pm = (k, t, key) => median(pr[k][t].map((v) => v[key]));
  const times = (k, key) => pairedRatio(pr[k].with, pr[k].without, key);
  const logged = readFileSync(accessLogFile, 'utf8').split('\n').length - 1;
  policyLines.push(
    `10 MeshTrafficPermission entries + access log to a file (${logged} lines) vs none, zonectl --workers 1, ${ROUNDS} interleaved rounds (medians; ratios: median of the rounds' ratios):`,
    `  bulk passthrough ${pm('bulk', 'with', 'gibps').toFixed(2)} vs ${pm('bulk', 'without', 'gibps').toFixed(2)} GiB/s -> ${times('bulk', 'gibps')}x (target >= 0.90)`,
    `  new connections/s ${pm('conn', 'with', 'cps').toFixed(0)} vs ${pm('conn', 'without', 'cps').toFixed(0)} -> ${times('conn', 'cps')}x (target >= 0.90); CPU/conn ${pm('conn', 'with', 'cpu').toFixed(1)} vs ${pm('conn', 'without', 'cpu').toFixed(1)} us; set-up p99 ${pm('conn', 'with', 'p99').toFixed(2)} vs ${pm('conn', 'without', 'p99').toFixed(2)} ms`,
    `  mTLS bulk (permissions decided) ${pm('tls', 'with', 'gibps').toFixed(2)} vs ${pm('tls', 'without', 'gibps').toFixed(2)} GiB/s -> ${times('tls', 'gibps')}x (target >= 0.90)`,
  );
  zBase.kill('SIGTERM');
  zPol.kill('SIGTERM');
}

// ---- report ---------------------------------------------------------------------------------
const m = (phase, t, key) => (results[phase][t] ? median(results[phase][t].map((x) => x[key])) : NaN);
const ratio = (a, b) => (a / b).toFixed(2);
const pair = (phase, a, b, key) => pairedRatio(results[phase][a], results[phase][b], key);
const bulkN = m('bulk', 'nginx', 'gibps');
const bulkZ = m('bulk', 'zonectl', 'gibps');
const cpuN = m('bulk', 'nginx', 'cpuPerGiB');
const cpuZ = m('bulk', 'zonectl', 'cpuPerGiB');
const cpsN = m('connrate', 'nginx', 'cps');
const cpsZ = m('connrate', 'zonectl', 'cps');
const ccN = m('connrate', 'nginx', 'cpuPerConnUs');
const ccZ = m('connrate', 'zonectl', 'cpuPerConnUs');
const p99D = m('latency', 'direct', 'p99');
const p99N = m('latency', 'nginx', 'p99');
const p99Z = m('latency', 'zonectl', 'p99');
const tlsN = m('tls', 'nginx', 'gibps');
const tlsZ = m('tls', 'zonectl', 'gibps');
const rssN = results.rss.nginx?.[0] ?? { rss: NaN };
const rssZ = results.rss.zonectl?.[0] ?? { rss: NaN, n: 0 };
const lines = [
  `zonectl egress vs nginx ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '')} (stream ssl_preread, 1 worker), ${ROUNDS} interleaved rounds: medians, and ratios as the median of the rounds' ratios`,
  `bulk passthrough, 1 connection: direct ${m('bulk', 'direct', 'gibps').toFixed(2)}, nginx ${bulkN.toFixed(2)}, zonectl ${bulkZ.toFixed(2)} GiB/s  -> ${pair('bulk', 'zonectl', 'nginx', 'gibps')}x nginx (target >= 1.0)`,
  `  proxy CPU per GiB: nginx ${cpuN.toFixed(3)} s, zonectl ${cpuZ.toFixed(3)} s  -> ${pair('bulk', 'zonectl', 'nginx', 'cpuPerGiB')}x nginx (target <= 1.2)`,
  `new connections/s, 50 clients: direct ${m('connrate', 'direct', 'cps').toFixed(0)}, nginx ${cpsN.toFixed(0)}, zonectl ${cpsZ.toFixed(0)}  -> ${pair('connrate', 'zonectl', 'nginx', 'cps')}x nginx (target >= 0.9)`,
  `  proxy CPU per connection: nginx ${ccN.toFixed(1)} us, zonectl ${ccZ.toFixed(1)} us  -> ${pair('connrate', 'zonectl', 'nginx', 'cpuPerConnUs')}x nginx (target <= 1.5)`,
  `    user/kernel: nginx ${(ccN - m('connrate', 'nginx', 'sysPerConnUs')).toFixed(1)}/${m('connrate', 'nginx', 'sysPerConnUs').toFixed(1)} us, zonectl ${(ccZ - m('connrate', 'zonectl', 'sysPerConnUs')).toFixed(1)}/${m('connrate', 'zonectl', 'sysPerConnUs').toFixed(1)} us; Node floor (bench/egress/naive-relay.mjs, pipe() both ways, no routing): ${m('connrate', 'node-relay', 'cps').toFixed(0)} conn/s, ${m('connrate', 'node-relay', 'cpuPerConnUs').toFixed(1)} us/conn -> zonectl = ${ratio(ccZ, m('connrate', 'node-relay', 'cpuPerConnUs'))}x the Node floor`,
  `    below net.Socket (bench/egress/raw-relay.mjs, the same relay on libuv TCP handles): ${m('connrate', 'raw-relay', 'cps').toFixed(0)} conn/s (${ratio(m('connrate', 'raw-relay', 'cps'), cpsN)}x nginx), ${m('connrate', 'raw-relay', 'cpuPerConnUs').toFixed(1)} us/conn (user ${(m('connrate', 'raw-relay', 'cpuPerConnUs') - m('connrate', 'raw-relay', 'sysPerConnUs')).toFixed(1)}, kernel ${m('connrate', 'raw-relay', 'sysPerConnUs').toFixed(1)}) -> ${ratio(m('connrate', 'raw-relay', 'cpuPerConnUs'), ccN)}x nginx, ${ratio(m('connrate', 'raw-relay', 'cpuPerConnUs'), m('connrate', 'node-relay', 'cpuPerConnUs'))}x the Node floor; set-up p99 ${m('connrate', 'raw-relay', 'p99').toFixed(2)} ms`,
  `  new-connection set-up (connect to first byte), 50 clients: p50 direct ${m('connrate', 'direct', 'p50').toFixed(2)}, nginx ${m('connrate', 'nginx', 'p50').toFixed(2)}, zonectl ${m('connrate', 'zonectl', 'p50').toFixed(2)} ms; p99 direct ${m('connrate', 'direct', 'p99').toFixed(2)}, nginx ${m('connrate', 'nginx', 'p99').toFixed(2)}, zonectl ${m('connrate', 'zonectl', 'p99').toFixed(2)} ms  -> p99 ${pair('connrate', 'zonectl', 'nginx', 'p99')}x nginx (target <= 1.2)`,
  `zonectl on its net.Socket path (ZONECTL_EGRESS_RAW_HANDLES=0), same run: bulk ${m('bulk', 'zonectl-sockets', 'gibps').toFixed(2)} GiB/s (${m('bulk', 'zonectl-sockets', 'cpuPerGiB').toFixed(3)} s CPU/GiB), ${m('connrate', 'zonectl-sockets', 'cps').toFixed(0)} conn/s, ${m('connrate', 'zonectl-sockets', 'cpuPerConnUs').toFixed(1)} us/conn (user ${(m('connrate', 'zonectl-sockets', 'cpuPerConnUs') - m('connrate', 'zonectl-sockets', 'sysPerConnUs')).toFixed(1)}, kernel ${m('connrate', 'zonectl-sockets', 'sysPerConnUs').toFixed(1)}), set-up p99 ${m('connrate', 'zonectl-sockets', 'p99').toFixed(2)} ms, echo p99 ${m('latency', 'zonectl-sockets', 'p99').toFixed(1)} us, mTLS bulk ${m('tls', 'zonectl-sockets', 'gibps').toFixed(2)} GiB/s -> libuv handles = ${ratio(ccZ, m('connrate', 'zonectl-sockets', 'cpuPerConnUs'))}x its CPU/conn, ${ratio(cpsZ, m('connrate', 'zonectl-sockets', 'cps'))}x its conn/s`,
  `64-byte echo p99: direct ${p99D.toFixed(1)} us, nginx ${p99N.toFixed(1)} us, zonectl ${p99Z.toFixed(1)} us  -> zonectl - nginx = ${(p99Z - p99N).toFixed(1)} us (target <= 30); added over direct: nginx ${(p99N - p99D).toFixed(1)}, zonectl ${(p99Z - p99D).toFixed(1)} us`,
  `  p50: direct ${m('latency', 'direct', 'p50').toFixed(1)}, nginx ${m('latency', 'nginx', 'p50').toFixed(1)}, zonectl ${m('latency', 'zonectl', 'p50').toFixed(1)} us`,
  `mTLS termination bulk: nginx ${tlsN.toFixed(2)}, zonectl ${tlsZ.toFixed(2)} GiB/s  -> ${pair('tls', 'zonectl', 'nginx', 'gibps')}x nginx (target >= 0.85); CPU/GiB nginx ${m('tls', 'nginx', 'cpuPerGiB').toFixed(3)} s, zonectl ${m('tls', 'zonectl', 'cpuPerGiB').toFixed(3)} s`,
  ...(results.workers['zonectl-2w']
    ? [
        `2 workers each, unpinned on both cores with the load generator (comparable within this run, not absolute): new connections/s nginx ${m('workers', 'nginx-2w', 'cps').toFixed(0)}, zonectl ${m('workers', 'zonectl-2w', 'cps').toFixed(0)} -> ${pair('workers', 'zonectl-2w', 'nginx-2w', 'cps')}x nginx (target >= 0.9); zonectl --workers 1 ${m('workers', 'zonectl-1w', 'cps').toFixed(0)} -> 2 workers = ${pair('workers', 'zonectl-2w', 'zonectl-1w', 'cps')}x 1 worker (target >= 1.6); nginx's own on this machine: 2 workers = ${pair('workers', 'nginx-2w', 'nginx-1w', 'cps')}x 1 worker (${m('workers', 'nginx-1w', 'cps').toFixed(0)} conn/s)`,
        `  cores busy (of 2; proxy + load generator): nginx-2w ${m('workers', 'nginx-2w', 'proxyCores').toFixed(2)} + ${m('workers', 'nginx-2w', 'loadCores').toFixed(2)}, nginx-1w ${m('workers', 'nginx-1w', 'proxyCores').toFixed(2)} + ${m('workers', 'nginx-1w', 'loadCores').toFixed(2)}, zonectl-2w ${m('workers', 'zonectl-2w', 'proxyCores').toFixed(2)} + ${m('workers', 'zonectl-2w', 'loadCores').toFixed(2)}, zonectl-1w ${m('workers', 'zonectl-1w', 'proxyCores').toFixed(2)} + ${m('workers', 'zonectl-1w', 'loadCores').toFixed(2)}`,
        `  set-up p50/p99: nginx ${m('workers', 'nginx-2w', 'p50').toFixed(2)}/${m('workers', 'nginx-2w', 'p99').toFixed(2)} ms, zonectl 2w ${m('workers', 'zonectl-2w', 'p50').toFixed(2)}/${m('workers', 'zonectl-2w', 'p99').toFixed(2)} ms, zonectl 1w ${m('workers', 'zonectl-1w', 'p50').toFixed(2)}/${m('workers', 'zonectl-1w', 'p99').toFixed(2)} ms; CPU/conn nginx ${m('workers', 'nginx-2w', 'cpuPerConnUs').toFixed(1)} us, zonectl 2w ${m('workers', 'zonectl-2w', 'cpuPerConnUs').toFixed(1)} us`,
      ]
    : []),
  ...policyLines,
  `load average (1 min): ${loadAtStart} at the start, ${load()} at the end`,
  `RSS with ${rssZ.n} idle connections: nginx worker ${rssN.rss.toFixed(1)} MiB, zonectl ${rssZ.rss.toFixed(1)} MiB (target < 200 MB)`,
];
console.log(lines.join('\n'));
zonectl.kill('SIGTERM');
zonectlSockets.kill('SIGTERM');
naive.kill();
raw.kill();
nginx.kill('SIGQUIT');
backend.kill();
await new Promise((r) => zonectl.once('exit', r));
process.exit(0);
