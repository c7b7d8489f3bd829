/**
 * `zonectl inspect zoneegress NAME --type config-dump|stats|clusters`: the control plane fetches
 * the egress's admin output from `networking.address:networking.admin.port` (plain HTTP, as the
 * egress's admin server speaks it) and relays it. The API paths are Kuma's
 * (`/zoneegresses/{name}/xds|stats|clusters`), so kumactl's inspect works against zonectl too.
 */
import { request } from 'node:http';
import { BadGatewayError, NotFoundError, UnavailableError } from '../../core/errors.js';
import type { Store } from '../store/types.js';

export type EgressAdminView = 'config-dump' | 'stats' | 'clusters';

const ADMIN_PATHS: Record<EgressAdminView, string> = { 'config-dump': '/config_dump', stats: '/stats', clusters: '/clusters' };

export interface EgressAdminOutput {
  contentType: string;
  body: string;
}

export interface EgressAdminFetchOptions {
  /** Connect and idle timeout (default 5 s). */
  timeoutMs?: number;
  /** Deadline for the whole answer, however steadily it trickles in (default 15 s). */
  deadlineMs?: number;
  /** Largest answer relayed (default 16 MiB); an egress's config dump is a few hundred KiB. */
  maxBytes?: number;
}

export const ADMIN_FETCH_DEFAULTS = { timeoutMs: 5000, deadlineMs: 15_000, maxBytes: 16 * 1024 * 1024 };

/**
 * Fetches one admin view. The address comes from a ZoneEgress that any egress-token holder can
 * register, so the answer is untrusted: it is cut at maxBytes and deadlineMs (502, naming the
 * limit) rather than buffered without end.
 */
export async function fetchEgressAdmin(store: Store, name: string, view: EgressAdminView, opts: EgressAdminFetchOptions = {}): Promise<EgressAdminOutput> {
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
  const { timeoutMs, deadlineMs, maxBytes } = { ...ADMIN_FETCH_DEFAULTS, ...opts };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(err);
    };
    const deadline = setTimeout(() => fail(new BadGatewayError(`the admin API of zone egress ${name} at ${url} did not finish its answer within ${deadlineMs} ms; nothing was relayed`)), deadlineMs);
    const req = request(url, { timeout: timeoutMs, headers: { accept: view === 'config-dump' ? 'application/json' : 'text/plain' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > maxBytes) return fail(new BadGatewayError(`the admin API of zone egress ${name} at ${url} sent more than ${maxBytes} bytes; nothing was relayed (an egress's admin output is far smaller: is that address really its admin port?)`));
        chunks.push(d);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) return reject(new UnavailableError(`the admin API of zone egress ${name} at ${url} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
        resolve({ contentType: String(res.headers['content-type'] ?? 'text/plain'), body });
      });
      res.on('error', (err) => fail(unreachable(name, url, err)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => fail(unreachable(name, url, err)));
    req.end();
  });
}
function unreachable(name: string, url: string, err: Error & { code?: string }): UnavailableError {
  return new UnavailableError(
    `cannot reach the admin API of zone egress ${name} at ${url}: ${err.code ?? err.message} (is the egress running, and is its admin port reachable from the control plane?)`,
  );
}
