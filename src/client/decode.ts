/**
 * The client's response decoder: the one place where a control plane's answer (problem details,
 * RFC 7807 with Kuma's legacy `details`/`causes` duplicates) or a failed connection becomes a
 * typed error from src/core/errors.ts. Everything above the client branches on the error class,
 * never on the message.
 */
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import {
  BadGatewayError,
  ConflictError,
  ForbiddenError,
  InsufficientStorageError,
  InternalError,
  MethodNotAllowedError,
  NotFoundError,
  PreconditionFailedError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  type Violation,
  type ZonectlError,
} from '../core/errors.js';
import { formatGoDuration } from '../core/duration.js';

/** Kuma's problem details body (api-server/errors in the reference). */
export interface ProblemDetails {
  type?: string;
  status?: number;
  title?: string;
  detail?: string;
  invalid_parameters?: { field?: string; reason?: string }[];
  /** Legacy duplicates Kuma still sends. */
  details?: string;
  causes?: { field?: string; message?: string }[];
}

export interface DecodeContext {
  method: string;
  url: string;
  baseUrl: string;
  /** The body of a 2xx answer was not the JSON we asked for. */
  badBody?: boolean;
}

interface ResponseLike {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Parses a problem-details body; undefined when the body is not one. */
export function parseProblem(body: string): ProblemDetails | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const obj = JSON.parse(text) as unknown;
    return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as ProblemDetails) : undefined;
  } catch {
    return undefined;
  }
}

/** Violations of a problem: `invalid_parameters` (current), else `causes` (legacy). */
export function problemViolations(p: ProblemDetails | undefined): Violation[] {
  if (!p) return [];
  if (Array.isArray(p.invalid_parameters) && p.invalid_parameters.length > 0) {
    return p.invalid_parameters.map((v) => ({ field: v.field ?? '', message: v.reason ?? '' }));
  }
  if (Array.isArray(p.causes)) return p.causes.map((v) => ({ field: v.field ?? '', message: v.message ?? '' }));
  return [];
}

/** Turns a non-2xx answer into the typed error of its status. */
export function decodeErrorResponse(res: ResponseLike, ctx: DecodeContext): ZonectlError {
  const problem = parseProblem(res.body);
  if (!problem && looksLikeHtml(res)) {
    const status = ctx.badBody ? '' : ` (HTTP ${res.status})`;
    return new InternalError(
      `${new URL(ctx.url).origin} answered ${ctx.method} ${new URL(ctx.url).pathname} with an HTML page${status}, not like a control plane's API: check the address and port with 'zonectl config view' (zonectl's and kuma-cp's API listen on 5681)`,
    );
  }
  if (ctx.badBody) {
    return new InternalError(`control plane at ${ctx.baseUrl} answered ${ctx.url} with a body that is not JSON (is the address that of a control plane's API?)`);
  }
  const violations = problemViolations(problem);
  const summary = problem?.detail || problem?.details || problem?.title || firstLine(res.body) || `HTTP ${res.status}`;
  const withViolations = violations.length === 0 ? summary : `${summary}\n${violations.map((v) => `  * ${v.field ? `${v.field}: ` : ''}${v.message}`).join('\n')}`;
  switch (res.status) {
    case 400:
      return new ValidationError(withViolations, violations, problem?.title);
    case 401:
      return new UnauthorizedError(`control plane at ${ctx.baseUrl} did not accept the credentials: ${summary} (set a token with 'zonectl config control-planes add --auth-type tokens --auth-conf token=...')`);
    case 403:
      return new ForbiddenError(`control plane at ${ctx.baseUrl} denied access: ${summary} (this needs an admin token, or a request from the control plane's host)`);
    case 404:
      return new NotFoundError(summary);
    case 405:
      return new MethodNotAllowedError(`${summary}: ${ctx.method} ${new URL(ctx.url).pathname} (the resource is read-only)`);
    case 409:
      return new ConflictError(withViolations);
    case 412:
      return new PreconditionFailedError(`${summary} (the resource changed since it was read; read it again and retry)`);
    case 429:
    case 502:
    case 503:
    case 504:
    case 507:
      return serverSideError(res, ctx, problem !== undefined, summary);
    default:
      if (res.status >= 400 && res.status < 500) return new ValidationError(`${withViolations} (HTTP ${res.status})`, violations, problem?.title);
      return new InternalError(`control plane at ${ctx.baseUrl} failed: ${summary} (HTTP ${res.status}; its log has the details)`);
  }
}

/**
 * Answers that say what went wrong on the server's side (limits, an unreachable dependency, a full
 * disk), reported as what they are, with the server's detail, rather than as a failure to look up
 * in its log.
 */
function serverSideError(res: ResponseLike, ctx: DecodeContext, isProblem: boolean, summary: string): ZonectlError {
  const retry = retryAfterSeconds(res.headers['retry-after']);
  const said = `control plane at ${ctx.baseUrl} answered ${res.status} ${STATUS_CODES[res.status] ?? ''}: ${summary}`;
  // Without problem details the answer is most likely a proxy's own, in front of the control plane.
  const proxy = isProblem ? '' : ' (not an answer of the control plane itself: a proxy in front of it? check the address with \'zonectl config view\')';
  switch (res.status) {
    case 429:
      return new TooManyRequestsError(`${said} (retry in ${retry ?? 1} s)`, retry ?? 1);
    case 502:
      return new BadGatewayError(`${said}${proxy}`);
    case 507:
      return new InsufficientStorageError(said);
    default:
      return new UnavailableError(`${said}${proxy}${retry === undefined ? '' : ` (retry in ${retry} s)`}`);
  }
}

/** Retry-After in seconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** A web page (a proxy's error page, a web server's 404) where a control plane was expected. */
function looksLikeHtml(res: ResponseLike): boolean {
  const type = String(res.headers['content-type'] ?? '');
  return /^text\/html/i.test(type) || /^\s*<(!doctype|html|head|body)/i.test(res.body);
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_|EPROTO$)/;

/** A request that got no answer: refused, timed out, unknown host, TLS failure. */
export function transportError(err: Error & { code?: string }, ctx: { baseUrl: string; timeoutMs: number }): ZonectlError {
  const at = `control plane at ${ctx.baseUrl}`;
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return new UnavailableError(`${at} refused the connection (is 'zonectl control-plane run' running?)`);
  if (code === 'ETIMEDOUT') {
    return new UnavailableError(`${at} did not answer within ${shortDuration(ctx.timeoutMs)} (check the address with 'zonectl config view', or raise --api-timeout)`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UnavailableError(`${at} could not be resolved: unknown host ${new URL(ctx.baseUrl).hostname} (check the address with 'zonectl config view')`);
  }
  if (TLS_CODES.test(code)) {
    return new UnavailableError(
      `${at} failed the TLS handshake: ${err.message} (give the CA with 'zonectl config control-planes add --ca-cert-file', or --skip-verify to not check it)`,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'HPE_INVALID_CONSTANT') {
    return new UnavailableError(`${at} closed the connection (does the address use the right scheme, http or https?)`);
  }
  return new UnavailableError(`${at} could not be reached: ${err.message}${code ? ` (${code})` : ''}`);
}

/** `1m`, `30s`, `1h30m`: Go's format without its trailing zero units. */
function shortDuration(ms: number): string {
  return formatGoDuration(ms).replace(/(\D)0s$/, '$1').replace(/(\D)0m$/, '$1');
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0]?.slice(0, 200) ?? '';
}
