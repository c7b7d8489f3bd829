/** Small HTTP helpers of the dp-server: problem details (Kuma's shape), bodies, bearer tokens. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isZonectlError, TooManyRequestsError, UnauthorizedError, ValidationError, type ZonectlError } from '../../core/errors.js';
import { assertDepth } from '../../resources/limits.js';
import { closeAfterResponse } from '../server/linger.js';
import { PayloadTooLargeError } from '../server/problem.js';

const TITLES: Record<number, string> = {
  400: 'Could not process a resource',
  401: 'Unauthorized',
  403: 'Access Denied',
  404: 'Not found',
  405: 'Method not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Acks and other small requests. */
export const MAX_BODY = 1 << 20;

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps an error to problem details; the egress prints `detail` verbatim. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const e: ZonectlError | undefined = isZonectlError(err) ? err : undefined;
  const status = e?.status ?? 500;
  const detail = e ? e.message : 'Internal Server Error';
  const title = e instanceof ValidationError ? e.title : (TITLES[status] ?? 'Internal Server Error');
  // The rest of an oversized body is not read: the connection cannot be reused, and lingers so
  // that a client still uploading reads this answer rather than a reset (server/linger.ts).
  if (status === 413) closeAfterResponse(res.req, res);
  if (err instanceof TooManyRequestsError) res.setHeader('retry-after', String(err.retryAfterSeconds));
  const body: Record<string, unknown> = { type: '/std-errors', status, title, detail };
  if (e instanceof ValidationError && e.violations.length) body.invalid_parameters = e.violations.map((v) => ({ field: v.field, reason: v.message }));
  body.details = detail;
  if (e instanceof ValidationError && e.violations.length) body.causes = e.violations.map((v) => ({ field: v.field, message: v.message }));
  sendJson(res, status, body, 'application/problem+json');
}

export function bearer(req: IncomingMessage): string {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new UnauthorizedError('missing zone token: send it as "Authorization: Bearer <token>" (zonectl dp run --dataplane-token-file FILE)');
  return m[1];
}

/** Reads a JSON body of at most `maxBytes` (413 beyond), nested no deeper than MAX_DOCUMENT_DEPTH (400). */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    // Not `for await`: leaving that loop early destroys the request, and with it the socket,
    // before the 413 is written. Past the limit the rest is read and dropped until the answer
    // goes out (then the connection lingers: server/linger.ts).
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        return reject(tooLarge(maxBytes));
      }
      chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', (err) => failed || ((failed = true), reject(err)));
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, [], 'Bad Request');
  }
  assertDepth(value, 'the request body');
  return value;
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body is larger than ${maxBytes} bytes; nothing was changed`);
}
