/**
 * HTTP(S) plumbing of the egress's control-plane session: requests with the zone token, problem
 * details decoded into the typed errors of src/core/errors.ts (the message is the control plane's
 * `detail`, printed verbatim by `dp run`), connection failures into UnavailableError with a hint.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ForbiddenError, NotFoundError, UnauthorizedError, UnavailableError, UsageError, ValidationError, type ZonectlError } from '../core/errors.js';
import { readText } from '../core/read-text.js';

export interface CpHttpOptions {
  cpAddress: string;
  /** PEM of the CA that signed the dp-server certificate; absent = system roots. */
  ca?: string;
  skipVerify?: boolean;
  /**
   * Deadline of a request up to its response headers (connect and TLS handshake included), and of
   * a whole JSON answer; default 10 s. A stopped control plane accepts connections and never
   * answers: without a deadline a reconnect waited for the kernel (72 s seen).
   */
  requestTimeoutMs?: number;
}

export const DEFAULT_CP_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Checks `--cp-address` before anything is sent: an invalid URL or a scheme the dp-server does
 * not speak is a usage error (exit 2), never a reason to retry forever.
 */
export function parseCpAddress(cpAddress: string): URL {
  const example = 'e.g. https://127.0.0.1:5678';
  if (!URL.canParse(cpAddress)) throw new UsageError(`--cp-address ${JSON.stringify(cpAddress)} is not a URL: give the control plane's dp-server, ${example}`);
  const url = new URL(cpAddress);
  if (url.protocol === 'http:') throw new UsageError(`--cp-address ${cpAddress}: the dp-server speaks HTTPS only; use https://${url.host}`);
  if (url.protocol !== 'https:') throw new UsageError(`--cp-address ${cpAddress}: unsupported scheme ${url.protocol.replace(/:$/, '')}; give the dp-server's https:// URL, ${example}`);
  return url;
}

/** Certificate verification failures that retrying cannot fix: the trusted CA is the wrong one. */
const UNTRUSTED_CERT = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID']);

export class CpHttp {
  readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  /** Which of the host name's addresses to use (see rotate()). */
  private rotation = 0;
  private readonly timeoutMs: number;

  constructor(private readonly opts: CpHttpOptions) {
    this.base = parseCpAddress(opts.cpAddress);
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_CP_REQUEST_TIMEOUT_MS;
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ca: opts.ca, rejectUnauthorized: !opts.skipVerify }) : new HttpAgent({ keepAlive: true });
  }

  /**
   * Moves to the next address of the host name, for a name with several addresses (several
   * control-plane instances behind one DNS name): called after a failed attempt.
   */
  rotate(): void {
    this.rotation++;
  }

  /** dns.lookup, answering with one address chosen by `rotation` (TLS still verifies the name). */
  private readonly lookup = (hostname: string, options: LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '');
      const pick = addresses[this.rotation % addresses.length];
      if (options.all) cb(null, [pick]);
      else cb(null, pick.address, pick.family);
    });
  };

  /** Sends a request; resolves with the response once its headers are in (2xx only), within the request timeout. */
  open(method: string, path: string, token: string, body?: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
      const req = send(url, {
        method,
        agent: this.agent,
        lookup: this.lookup as never,
        signal,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json, application/x-ndjson',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      });
      req.on('error', (err) => (clearTimeout(timer), reject(this.connectionError(err))));
      req.on('response', (res) => {
        clearTimeout(timer);
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) return resolve(res);
        readText(res).then((text) => reject(problemError(res.statusCode ?? 0, text, this.base.origin)), (err: Error) => reject(this.connectionError(err)));
      });
      req.end(payload);
    });
  }

  /** A request whose JSON answer is read whole. */
  async json<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, token, body);
    const timer = setTimeout(() => res.destroy(Object.assign(new Error(`answer not complete within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
    try {
      const text = await readText(res).catch((err: Error) => Promise.reject(this.connectionError(err)));
      return (text ? JSON.parse(text) : {}) as T;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private connectionError(err: Error & { code?: string }): ZonectlError {
    if (err.name === 'AbortError') return new UnavailableError('request aborted');
    const code = err.code ?? err.message;
    // OpenSSL's only sign that the peer answered in plain text: the code alone (EPROTO) is generic.
    if (code === 'EPROTO' && /wrong version number/.test(err.message)) {
      return new UsageError(`--cp-address ${this.base.origin} does not speak TLS: is it the control plane's API port (5681) rather than its dp-server's (5678 by default, printed by 'zonectl control-plane run')?`);
    }
    if (UNTRUSTED_CERT.has(code)) {
      return new UsageError(`the dp-server at ${this.base.origin} presented a certificate this egress does not trust (${code}): pass its CA with --ca-cert-file (<data-dir>/dp-server/ca.crt of 'zonectl control-plane run'), or check that --cp-address names the dp-server`);
    }
    if (code === 'ETIMEDOUT') return new UnavailableError(`control plane at ${this.base.origin} did not answer within ${this.timeoutMs} ms (stopped, overloaded, or a firewall dropping packets?)`);
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)
      ? " (pass the dp-server CA with --ca-cert-file, e.g. <data-dir>/dp-server/ca.crt of 'zonectl control-plane run')"
      : code === 'ECONNREFUSED'
        ? " (is 'zonectl control-plane run' running?)"
        : '';
    return new UnavailableError(`control plane at ${this.base.origin} is unreachable: ${code}${hint}`);
  }
}

/** Problem details -> typed error; the message is the server's `detail`. */
export function problemError(status: number, text: string, origin: string): ZonectlError {
  let detail = text.trim();
  let violations: { field: string; message: string }[] = [];
  try {
    const p = JSON.parse(text) as { detail?: string; invalid_parameters?: { field: string; reason: string }[] };
    if (typeof p.detail === 'string') detail = p.detail;
    violations = (p.invalid_parameters ?? []).map((v) => ({ field: v.field, message: v.reason }));
  } catch {
    // Not problem details (a proxy's error page): keep the text.
  }
  if (status === 400) {
    const msg = violations.length ? `${detail}: ${violations.map((v) => (v.field ? `${v.field}: ${v.message}` : v.message)).join('; ')}` : detail;
    return new ValidationError(msg, violations);
  }
  if (status === 401) return new UnauthorizedError(detail);
  if (status === 403) return new ForbiddenError(detail);
  if (status === 404) return new NotFoundError(detail);
  return new UnavailableError(`control plane at ${origin} answered ${status}: ${detail}`);
}
