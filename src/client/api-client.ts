/**
 * The REST client for a control plane's API (zonectl's own or a real kuma-cp). It speaks plain
 * HTTP(S) over node:http(s) so that the kumactl-style TLS options (CA file, client certificate,
 * skip-verify) map one to one onto the socket. Non-2xx answers are turned into typed errors by
 * the response decoder (./decode.js), the only place in the CLI's stack where that happens.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { UsageError } from '../core/errors.js';
import { decodeErrorResponse, transportError } from './decode.js';

export interface TlsOptions {
  /** PEM file of the CA that signed the server's certificate. */
  caCertFile?: string;
  /** PEM client certificate and key, for control planes that require mTLS on the API. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Do not verify the server's certificate (kumactl's `--skip-verify`). */
  skipVerify?: boolean;
}

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:5681`; a path prefix (`https://cp.example/api`) is kept. */
  baseUrl: string;
  /** Sent on every request (auth headers from the context, `--headers k=v`). */
  headers?: Record<string, string>;
  tls?: TlsOptions;
  /** Whole-request timeout in milliseconds (default 60 000, kumactl's `--api-timeout=1m`). */
  timeoutMs?: number;
  /** Upper bound of parallel sockets (apply runs writes concurrently). Default 8. */
  maxSockets?: number;
}

export interface RequestOptions {
  /** An object or array is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The Accept header; default `application/json`. */
  accept?: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | undefined>;
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text (UTF-8). */
  body: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class ApiClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly agent: http.Agent;

  constructor(opts: ApiClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new UsageError(`invalid control plane address ${JSON.stringify(opts.baseUrl)}: expected a URL like http://127.0.0.1:5681`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new UsageError(`invalid control plane address ${JSON.stringify(opts.baseUrl)}: the scheme must be http or https`);
    }
    this.base = base;
    this.baseUrl = base.href.replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.headers = { ...(opts.headers ?? {}) };
    const maxSockets = opts.maxSockets ?? 8;
    this.agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets, ...tlsAgentOptions(opts.tls ?? {}) }) : new http.Agent({ keepAlive: true, maxSockets });
  }

  /** The absolute URL of an API path (`/zoneegresses`) with its query string. */
  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.base.href);
    url.pathname = `${this.base.pathname.replace(/\/$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * Sends one request. Resolves with 2xx/3xx answers; rejects with a typed error from
   * src/core/errors.ts for any other status (decoded from the problem details body) and with an
   * UnavailableError naming the URL when the control plane cannot be reached in time.
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.send(method, path, opts);
    if (res.status >= 400) throw decodeErrorResponse(res, { method, url: this.url(path).href, baseUrl: this.baseUrl });
    return res;
  }

  /** request() and JSON.parse of the body. */
  async requestJson<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    return parseJsonBody<T>(res, this.url(path).href);
  }

  /** Sends one request and resolves with whatever status the server answers (no decoding). */
  send(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': 'zonectl', ...this.headers, ...(opts.headers ?? {}) };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
        payload = Buffer.from(opts.body);
      } else {
        payload = Buffer.from(JSON.stringify(opts.body));
        headers['content-type'] ??= 'application/json';
      }
      headers['content-length'] = String(payload.length);
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<ApiResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(transportError(err, { baseUrl: this.baseUrl, timeoutMs: this.timeoutMs }));
      };
      const req = mod.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      // One deadline for the whole exchange (connect + response), as Go's http.Client.Timeout.
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.timeoutMs);
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** Frees pooled sockets; call when a command is done (idle sockets never keep the process up). */
  close(): void {
    this.agent.destroy();
  }
}

export function parseJsonBody<T>(res: ApiResponse, url: string): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw decodeErrorResponse({ ...res, status: 502 }, { method: 'GET', url, baseUrl: url, badBody: true });
  }
}

function tlsAgentOptions(tls: TlsOptions): https.AgentOptions {
  const out: https.AgentOptions = {};
  if (tls.caCertFile) out.ca = readPem(tls.caCertFile, 'CA certificate');
  if (tls.clientCertFile) out.cert = readPem(tls.clientCertFile, 'client certificate');
  if (tls.clientKeyFile) out.key = readPem(tls.clientKeyFile, 'client key');
  if (tls.skipVerify) out.rejectUnauthorized = false;
  return out;
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`could not read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (check the path in 'zonectl config view')`);
  }
}
