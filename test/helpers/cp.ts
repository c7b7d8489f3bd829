/**
 * A real control plane for tests: in-process, on 127.0.0.1 port 0, with a temporary data dir,
 * stopped by t.after. Other areas' tests (tokens, resource commands) start theirs through here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as plainRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fixedClock, type Clock } from '../../src/core/clock.js';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src/control-plane/index.js';
import type { Store } from '../../src/control-plane/store/types.js';

export interface TestControlPlaneOptions extends Partial<Omit<ControlPlaneOptions, 'clock'>> {
  /** Store kind (default 'memory': fastest; 'sqlite' for durability tests). */
  store?: ControlPlaneOptions['store'];
  /** A Clock, or an RFC 3339 instant to pin the clock at (timestamps in goldens). */
  clock?: Clock | string;
}

export interface TestControlPlane {
  /** `http://127.0.0.1:<port>` */
  url: string;
  store: Store;
  dataDir: string;
  /** The admin token (for requests that must not rely on localhost-is-admin). */
  adminToken: string;
  instance: ControlPlane;
}

export async function startTestControlPlane(t: Pick<TestContext, 'after'>, opts: TestControlPlaneOptions = {}): Promise<TestControlPlane> {
  const ownDir = opts.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'zonectl-cp-')) : undefined;
  const dataDir = opts.dataDir ?? ownDir!;
  const clock = typeof opts.clock === 'string' ? fixedClock(opts.clock) : opts.clock;
  let instance: ControlPlane;
  try {
    instance = await startControlPlane({ apiPort: 0, apiTlsPort: 0, apiAddress: '127.0.0.1', dpPort: 0, ...opts, options: { dpAddress: '127.0.0.1', ...opts.options }, store: opts.store ?? 'memory', clock, dataDir });
  } catch (err) {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    throw err;
  }
  // Stop first, then remove the data dir (one hook, so the order is certain).
  t.after(async () => {
    await instance.stop();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  });
  return { url: instance.url, store: instance.store, dataDir, adminToken: instance.adminToken, instance };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export interface HttpOptions {
  method?: string;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Source address of the connection, e.g. '127.0.0.2' to call as a non-localhost client. */
  localAddress?: string;
  /** CA to trust for https URLs. */
  ca?: string;
}

/** One HTTP(S) request with node:http (no fetch: it cannot choose the source address). */
export async function request(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const httpRequest = url.startsWith('https:') ? httpsRequest : plainRequest;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { ...(body !== undefined && typeof opts.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        localAddress: opts.localAddress,
        ca: opts.ca,
        agent: false,
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
