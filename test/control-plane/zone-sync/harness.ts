/**
 * A global and zone control planes in this process (memory stores, port 0), connected over the
 * real KDS server: what the multizone tests, the demo-like checks and the bench build on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ZoneClient } from '../../../src/control-plane/zone-sync/zone-client.js';
import { eventually } from '../../e2e/processes.js';
import { request, startTestControlPlane, type TestControlPlane } from '../../helpers/cp.js';
import { tmpDir } from '../../helpers/tmp.js';

export interface Global extends TestControlPlane {
  kdsUrl: string;
  kdsCaFile: string;
}

export async function startGlobal(t: Pick<TestContext, 'after'>, opts: { dataDir?: string; kdsPort?: number } = {}): Promise<Global> {
  const cp = await startTestControlPlane(t, { mode: 'global', dataDir: opts.dataDir, options: { kdsPort: opts.kdsPort ?? 0, kdsAddress: '127.0.0.1', kdsHeartbeatMs: 1000 } });
  return { ...cp, kdsUrl: `https://127.0.0.1:${String(cp.instance.ctx.options.kdsPortBound)}`, kdsCaFile: String(cp.instance.ctx.options.kdsCaCertFile) };
}

/** Mints a zone token on the global and writes it to a file. */
export async function mintToken(t: Pick<TestContext, 'after'>, global: TestControlPlane, zone: string, scope: string[]): Promise<string> {
  const res = await request(`${global.url}/tokens/zone`, { method: 'POST', body: { zone, scope, validFor: '1h' } });
  if (res.status !== 200) throw new Error(`minting a token failed: ${res.status} ${res.text}`);
  const file = join(tmpDir(t), `${zone}.token`);
  writeFileSync(file, res.text);
  return file;
}

export interface Zone extends TestControlPlane {
  sync: ZoneClient;
}

export async function startZone(t: Pick<TestContext, 'after'>, global: Global, zone: string, opts: { tokenFile?: string; wait?: boolean } = {}): Promise<Zone> {
  const tokenFile = opts.tokenFile ?? (await mintToken(t, global, zone, ['cp']));
  const cp = await startTestControlPlane(t, {
    mode: 'zone',
    zone,
    options: { globalAddress: global.kdsUrl, globalTokenFile: tokenFile, globalCaCertFile: global.kdsCaFile, kdsBackoff: { initialMs: 50, maxMs: 200 } },
  });
  const sync = cp.instance.ctx.options.zoneSync as ZoneClient;
  if (opts.wait !== false) await sync.firstSync;
  return { ...cp, sync };
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url);
  return { status: res.status, body: (res.json ?? {}) as Record<string, unknown> };
}

export async function put(cp: TestControlPlane, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${cp.url}${path}`, { method: 'PUT', body });
  return { status: res.status, body: (res.json ?? {}) as Record<string, unknown> };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  return eventually(what, fn, timeoutMs);
}

export const MESH = {
  type: 'Mesh',
  name: 'default',
  mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
  routing: { zoneEgress: true },
};
