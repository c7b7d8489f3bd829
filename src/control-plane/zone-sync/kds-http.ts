/**
 * HTTPS to the global's KDS server for a zone control plane: JSON requests with the `cp` zone
 * token, problem details decoded into the coded errors of src/core/errors.ts (the message is the
 * global's `detail`), connection failures into UnavailableError naming the global and a next step.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, UnavailableError, ValidationError, type ZonectlError } from '../../core/errors.js';
import { readText } from '../../core/read-text.js';

export class KdsHttp {
  readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(globalAddress: string, ca?: string) {
    this.base = new URL(globalAddress);
    this.agent = this.base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ca }) : new HttpAgent({ keepAlive: true });
  }

  /** Resolves with the response once its headers are in (2xx only). */
  open(path: string, token: string, body: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const payload = JSON.stringify(body);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        agent: this.agent,
        signal,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      });
      req.on('error', (err) => reject(this.connectionError(err)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        readText(res).then((text) => reject(problemError(status, text, this.base.origin)), (err: Error) => reject(this.connectionError(err)));
      });
      req.end(payload);
    });
  }

  async post(path: string, token: string, body: unknown): Promise<void> {
    const res = await this.open(path, token, body);
    await readText(res).catch((err: Error) => Promise.reject(this.connectionError(err)));
  }

  close(): void {
    this.agent.destroy();
  }

  connectionError(err: Error & { code?: string }): ZonectlError {
    if (err.name === 'AbortError') return new UnavailableError('request aborted');
    const code = err.code ?? err.message;
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)
      ? " (pass the global's KDS CA with --global-ca-cert-file: <data-dir>/kds-server/ca.crt of the global)"
      : code === 'ECONNREFUSED'
        ? " (is 'zonectl control-plane run --mode global' running there?)"
        : '';
    return new UnavailableError(`global control plane at ${this.base.origin} is unreachable: ${code}${hint}`);
  }
}

function problemError(status: number, text: string, origin: string): ZonectlError {
  let detail = text.trim();
  try {
    const p = JSON.parse(text) as { detail?: string };
    if (typeof p.detail === 'string') detail = p.detail;
  } catch {
    // Not problem details (a proxy's error page): keep the text.
  }
  if (status === 400) return new ValidationError(detail);
  if (status === 401) return new UnauthorizedError(detail);
  if (status === 403) return new ForbiddenError(detail);
  if (status === 404) return new NotFoundError(detail);
  if (status === 409) return new ConflictError(detail);
  return new UnavailableError(`global control plane at ${origin} answered ${status}: ${detail}`);
}
