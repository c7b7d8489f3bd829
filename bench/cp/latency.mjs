// Change-to-egress latency for `npm run bench:cp`: an egress session (the same code `dp run`
// uses) streams from one instance; an ExternalService is PUT through another instance (or the
// same one, for SQLite); the time until a snapshot routing its SNI reaches the egress is one
// sample. Uses the built dist/ (npm run build first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { startCpSession } = await import('../../dist/egress/cp-session.js');

async function json(url, method, body) {
  const r = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return text;
}

/**
 * @param {{ writeApi: string, streamDp: string, caFile: string, samples: number }} o
 * @returns {Promise<{ p50Ms: number, p99Ms: number, maxMs: number, samples: number }>}
 */
export async function changeToEgress(o) {
  await json(`${o.writeApi}/meshes/default`, 'PUT', { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } });
  const token = await json(`${o.writeApi}/tokens/zone`, 'POST', { zone: 'default', scope: ['egress'], validFor: '1h' });
  let latest;
  let wake = () => {};
  const session = startCpSession({
    cpAddress: o.streamDp,
    ca: readFileSync(o.caFile, 'utf8'),
    token,
    zoneEgress: { type: 'ZoneEgress', name: 'bench-egress', networking: { address: '127.0.0.1', port: 10002, admin: { port: 9901 } } },
    version: 'bench',
    onSnapshot: (s) => {
      latest = s;
      wake();
      return { ok: true };
    },
  });
  await session.ready;
  const times = [];
  try {
    for (let i = 0; i < o.samples; i++) {
      const name = `lat-${i}`;
      const sni = `${name}{mesh=default}`;
      const t0 = performance.now();
      await json(`${o.writeApi}/meshes/default/external-services/${name}`, 'PUT', { type: 'ExternalService', mesh: 'default', name, networking: { address: `${name}.example.com:443` }, tags: { 'kuma.io/service': name } });
      while (!latest.routes.some((r) => r.sni === sni)) await new Promise((r) => (wake = r));
      times.push(performance.now() - t0);
    }
  } finally {
    await session.close();
  }
  times.sort((a, b) => a - b);
  const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 10) / 10;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), samples: times.length };
}

export const dpCaFile = (dataDir) => join(dataDir, 'dp-server', 'ca.crt');
