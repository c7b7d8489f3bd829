/** Small HTTP helpers of the dp-server: problem details (Kuma's shape), bodies, bearer tokens. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isZonectlError, TooManyRequestsError, UnauthorizedError, ValidationError, type ZonectlError } from '../../core/errors.js';
import { assertDepth } from '../../resources/limits.js';
import { closeAfterResponse } from '../server/linger.js';
import { readBody } from '../server/body.js';

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

/**
 * Reads a JSON body of at most `maxBytes` (413 beyond, read as the API reads its bodies:
 * server/body.ts), nested no deeper than MAX_DOCUMENT_DEPTH (400).
 */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY): Promise<unknown> {
  const text = await readBody(req, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, [], 'Bad Request');
  }
  assertDepth(value, 'the request body');
  return value;
}
