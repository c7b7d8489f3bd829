/**
 * `zonectl inspect zoneegress NAME --type config-dump|stats|clusters`: the control plane fetches
 * the egress's admin output from `networking.address:networking.admin.port` (plain HTTP, as the
 * egress's admin server speaks it) and relays it. The API paths are Kuma's
 * (`/zoneegresses/{name}/xds|stats|clusters`), so kumactl's inspect works against zonectl too.
 */
import { request } from 'node:http';
import { NotFoundError, UnavailableError } from '../../core/errors.js';
import type { Store } from '../store/types.js';

export type EgressAdminView = 'config-dump' | 'stats' | 'clusters';

const ADMIN_PATHS: Record<EgressAdminView, string> = { 'config-dump': '/config_dump', stats: '/stats', clusters: '/clusters' };

export interface EgressAdminOutput {
  contentType: string;
  body: string;
}

export async function fetchEgressAdmin(store: Store, name: string, view: EgressAdminView, opts: { timeoutMs?: number } = {}): Promise<EgressAdminOutput> {
  let networking: { address?: unknown; admin?: { port?: unknown } };
  try {
    networking = ((await store.get({ type: 'ZoneEgress', name })).resource.networking ?? {}) as typeof networking;
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`zone egress ${name} not found (list them with: zonectl get zoneegresses)`);
    throw err;
  }
  const port = networking.admin?.port;
  if (typeof port !== 'number' || port <= 0) throw new NotFoundError(`zone egress ${name} has no networking.admin.port: set it in its ZoneEgress to inspect it through the control plane`);
  let host = typeof networking.address === 'string' && networking.address !== '' ? networking.address : '127.0.0.1';
  if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${ADMIN_PATHS[view]}`;
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, headers: { accept: view === 'config-dump' ? 'application/json' : 'text/plain' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) return reject(new UnavailableError(`the admin API of zone egress ${name} at ${url} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
        resolve({ contentType: String(res.headers['content-type'] ?? 'text/plain'), body });
      });
      res.on('error', (err) => reject(unreachable(name, url, err)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(unreachable(name, url, err)));
    req.end();
  });
}

function unreachable(name: string, url: string, err: Error & { code?: string }): UnavailableError {
  return new UnavailableError(
    `cannot reach the admin API of zone egress ${name} at ${url}: ${err.code ?? err.message} (is the egress running, and is its admin port reachable from the control plane?)`,
  );
}
