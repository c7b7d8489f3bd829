/**
 * HTTP(S) plumbing of the egress's control-plane session: requests with the zone token, problem
 * details decoded into the typed errors of src/core/errors.ts (the message is the control plane's
 * `detail`, printed verbatim by `dp run`), connection failures into UnavailableError with a hint.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ForbiddenError, NotFoundError, UnauthorizedError, UnavailableError, ValidationError, type ZonectlError } from '../core/errors.js';

export interface CpHttpOptions {
  cpAddress: string;
  /** PEM of the CA that signed the dp-server certificate; absent = system roots. */
  ca?: string;
  skipVerify?: boolean;
}

export class CpHttp {
  readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  /** Which of the host name's addresses to use (see rotate()). */
  private rotation = 0;

  constructor(private readonly opts: CpHttpOptions) {
    this.base = new URL(opts.cpAddress);
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

  /** Sends a request; resolves with the response once its headers are in (2xx only). */
  open(method: string, path: string, token: string, body?: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
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
      req.on('error', (err) => reject(this.connectionError(err)));
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) return resolve(res);
        readText(res).then((text) => reject(problemError(res.statusCode ?? 0, text, this.base.origin)), (err: Error) => reject(this.connectionError(err)));
      });
      req.end(payload);
    });
  }

  /** A request whose JSON answer is read whole. */
  async json<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, token, body);
    const text = await readText(res).catch((err: Error) => Promise.reject(this.connectionError(err)));
    return (text ? JSON.parse(text) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }

  private connectionError(err: Error & { code?: string }): ZonectlError {
    if (err.name === 'AbortError') return new UnavailableError('request aborted');
    const code = err.code ?? err.message;
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)
      ? " (pass the dp-server CA with --ca-cert-file, e.g. <data-dir>/dp-server/ca.crt of 'zonectl control-plane run')"
      : code === 'ECONNREFUSED'
        ? " (is 'zonectl control-plane run' running?)"
        : '';
    return new UnavailableError(`control plane at ${this.base.origin} is unreachable: ${code}${hint}`);
  }
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });
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
