#!/usr/bin/env node
// `npm run bench:multizone`: the global <-> zone sync, in one process over the real KDS and
// dp-server sockets (memory stores), bounded to about a minute:
//   1. write on the global -> new egress snapshot in a zone: p50/p99 over 200 changes, each an
//      ExternalService PUT on the global's REST API, timed until an egress session connected to
//      the zone's dp-server receives the snapshot with its route (target p99 < 1 s);
//   2. a zone connecting to a global that holds 10,000 resources: time until it is in sync
//      (target < 10 s).
// Uses the built dist/ (npm run build first). Results also go to bench/.out/multizone.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../dist/control-plane/index.js';
import { startCpSession } from '../dist/egress/cp-session.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHANGES = Number(process.env.BENCH_MZ_CHANGES ?? 200);
const BULK = Number(process.env.BENCH_MZ_RESOURCES ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'zonectl-bench-mz-'));
const base = { apiPort: 0, apiAddress: '127.0.0.1', dpPort: 0, store: 'memory' };
const stops = [];

async function http(method, url, body) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text;
}

async function startZone(global, zone) {
  const tokenFile = join(dir, `${zone}.token`);
  writeFileSync(tokenFile, await http('POST', `${global.url}/tokens/zone`, { zone, scope: ['cp'], validFor: '1h' }));
  const cp = await startControlPlane({
    ...base,
    dataDir: join(dir, zone),
    mode: 'zone',
    zone,
    options: { dpAddress: '127.0.0.1', globalAddress: `https://127.0.0.1:${global.ctx.options.kdsPortBound}`, globalTokenFile: tokenFile, globalCaCertFile: String(global.ctx.options.kdsCaCertFile), kdsBackoff: { initialMs: 100, maxMs: 1000 } },
  });
  stops.unshift(() => cp.stop());
  return cp;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const results = { loadAverageAtStart: loadavg()[0] };
try {
  const global = await startControlPlane({ ...base, dataDir: join(dir, 'global'), mode: 'global', options: { kdsPort: 0, kdsAddress: '127.0.0.1' } });
  stops.unshift(() => global.stop());
  await http('PUT', `${global.url}/meshes/default`, { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } });
  const zone = await startZone(global, 'zone-1');
  await zone.ctx.options.zoneSync.firstSync;

  // 1. Write on the global -> egress snapshot in zone-1.
  const token = await http('POST', `${global.url}/tokens/zone`, { zone: 'zone-1', scope: ['egress'], validFor: '1h' });
  const waiters = new Map();
  const session = startCpSession({
    cpAddress: `https://127.0.0.1:${zone.ctx.options.dpPortBound}`,
    ca: typeof zone.ctx.options.dpCaPem === 'string' ? zone.ctx.options.dpCaPem : undefined,
    caCertFile: typeof zone.ctx.options.dpCaPem === 'string' ? undefined : String(zone.ctx.options.dpCaCertFile),
    token,
    version: 'bench',
    zoneEgress: { type: 'ZoneEgress', name: 'bench-egress', networking: { address: '127.0.0.1', port: 10002 } },
    onSnapshot: (snapshot) => {
      const now = performance.now();
      for (const r of snapshot.routes) {
        const w = waiters.get(r.sni);
        if (w) {
          waiters.delete(r.sni);
          w(now);
        }
      }
      return { ok: true };
    },
  });
  stops.unshift(() => session.close());
  await session.ready;
  const latencies = [];
  for (let i = 0; i < CHANGES; i++) {
    const service = `svc-${i}`;
    const seen = new Promise((resolve) => waiters.set(`${service}{mesh=default}`, resolve));
    const t0 = performance.now();
    await http('PUT', `${global.url}/meshes/default/external-services/${service}`, { type: 'ExternalService', mesh: 'default', name: service, networking: { address: `10.0.0.1:${1000 + i}` }, tags: { 'kuma.io/service': service } });
    latencies.push((await seen) - t0);
  }
  latencies.sort((a, b) => a - b);
  results.writeToSnapshot = { changes: CHANGES, p50Ms: Math.round(pct(latencies, 50)), p99Ms: Math.round(pct(latencies, 99)), maxMs: Math.round(latencies.at(-1)), loadAverage: loadavg()[0] };

  // 2. A new zone joins a global holding BULK resources.
  const creates = [];
  for (let i = 0; i < BULK; i++) {
    creates.push(global.store.create({ type: 'ExternalService', mesh: 'default', name: `bulk-${i}`, networking: { address: `10.1.${(i >> 8) & 255}.${i & 255}:443` }, tags: { 'kuma.io/service': `bulk-${i}` } }));
  }
  await Promise.all(creates);
  const t0 = performance.now();
  const zone2 = await startZone(global, 'zone-2');
  await zone2.ctx.options.zoneSync.firstSync;
  const syncedMs = performance.now() - t0;
  const held = (await zone2.store.list({ type: 'ExternalService' })).total;
  results.newZoneSync = { resources: BULK + CHANGES, heldByZone: held, seconds: Number((syncedMs / 1000).toFixed(2)), loadAverage: loadavg()[0] };
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

const w = results.writeToSnapshot;
const n = results.newZoneSync;
console.log(`multizone benchmark (memory stores, node ${process.version}; load average ${results.loadAverageAtStart.toFixed(1)} at start)`);
console.log(`  write on the global -> egress snapshot in zone-1, ${w.changes} changes: p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, max ${w.maxMs} ms (target p99 < 1000 ms; load average ${w.loadAverage.toFixed(1)})`);
console.log(`  new zone syncing ${n.resources} resources from the global: ${n.seconds} s, ${n.heldByZone} held (target < 10 s; load average ${n.loadAverage.toFixed(1)})`);
mkdirSync(join(ROOT, 'bench', '.out'), { recursive: true });
writeFileSync(join(ROOT, 'bench', '.out', 'multizone.json'), `${JSON.stringify(results, null, 2)}\n`);
