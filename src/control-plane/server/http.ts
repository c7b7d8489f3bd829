/**
 * The API server's request handler on plain node:http (no framework: the hot path is a route
 * lookup, an access check and JSON out). Every request ends in a response: handler results are
 * written as JSON (or text), every error goes through the problem-details mapper, and a failure
 * while writing is logged, never thrown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForbiddenError, InternalError, isZonectlError, MethodNotAllowedError, NotFoundError, UnauthorizedError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { CpMetrics } from '../metrics/metrics.js';
import { AdminAuth } from './auth.js';
import { parseBody, readBody } from './body.js';
import { closeAfterResponse } from './linger.js';
import { UnsupportedMediaTypeError, toProblem } from './problem.js';
import type { Router } from './router.js';
import type { ApiRequest, ApiResponse, ApiRoute } from './types.js';

export interface HandlerOptions {
  router: Router;
  auth: AdminAuth;
  log: Logger;
  bodyLimit: number;
  /** 'http' or 'https', for absolute `next` links. */
  protocol: 'http' | 'https';
  /** True once shutdown began: responses then close their connection so the drain can finish. */
  draining?: () => boolean;
  /** Counts and times every request by route template and status. */
  metrics?: Pick<CpMetrics, 'request'>;
}

const ANONYMOUS = 'user "mesh-system:anonymous/mesh-system:unauthenticated"';

export function createHandler(opts: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const state: { route?: ApiRoute } = {};
    handle(req, opts, state)
      .catch((err: unknown) => {
        const p = toProblem(err, state.route?.errorTitle);
        // An expected condition (an egress admin API that is down, an unavailable store) is a
        // warning naming what happened; only the unexpected gets an error with its stack.
        if (p.status >= 500 && isZonectlError(err) && !(err instanceof InternalError)) opts.log.warn({ method: req.method, path: safePath(req.url), status: p.status, reason: err.message }, 'request failed');
        else if (p.status >= 500) opts.log.error({ err, method: req.method, path: safePath(req.url) }, 'request failed');
        return { status: p.status, body: p } satisfies ApiResponse;
      })
      .then((out) => {
        // The rest of an oversized body is not read: the connection cannot be reused, and lingers
        // so that a client still uploading reads this answer rather than a reset (linger.ts).
        if (out.status === 413 || opts.draining?.()) closeAfterResponse(req, res);
        send(res, out);
        opts.metrics?.request(req.method ?? 'GET', state.route?.path, out.status, (performance.now() - started) / 1000);
        if (opts.log.isLevelEnabled('debug')) {
          opts.log.debug({ method: req.method, path: safePath(req.url), status: out.status, ms: +(performance.now() - started).toFixed(2) }, 'request');
        }
      })
      .catch((err: unknown) => {
        opts.log.error({ err }, 'could not write a response');
        res.destroy();
      });
  };
}

async function handle(req: IncomingMessage, opts: HandlerOptions, state: { route?: ApiRoute }): Promise<ApiResponse> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';
  const match = opts.router.match(method, path);
  if (match.kind === 'no-path') throw new NotFoundError(`no API endpoint at ${safePath(path)}; see the REST API section of the README`);
  if (match.kind === 'no-method') throw new MethodNotAllowedError('Method not allowed');
  const { route, params } = match;
  state.route = route;
  const remoteAddress = req.socket.remoteAddress ?? '';
  const isAdmin = opts.auth.isAdmin(remoteAddress, req.headers);
  if (!isAdmin && opts.log.isLevelEnabled('debug')) {
    const why = opts.auth.loopbackRefusal(remoteAddress, req.headers);
    if (why) opts.log.debug({ method, path: safePath(path), why }, 'loopback request is not a direct local call; treated as anonymous');
  }
  checkAccess(route, method, isAdmin, req.headers.authorization);
  if (method === 'PUT' || method === 'POST') checkContentType(req.headers['content-type']);

  let text: Promise<string> | undefined;
  let parsed: Promise<unknown> | undefined;
  const readText = () => (text ??= readBody(req, opts.bodyLimit));
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  const apiReq: ApiRequest = {
    method,
    path,
    params,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    headers: req.headers,
    isAdmin,
    remoteAddress,
    baseUrl: `${opts.protocol}://${host}`,
    text: readText,
    body: () => (parsed ??= readText().then((t) => parseBody(t, req.headers['content-type']))),
  };
  // An unread body is discarded by node:http after the response, keeping keep-alive usable.
  return route.handle(apiReq);
}

function checkAccess(route: ApiRoute, method: string, isAdmin: boolean, authorization: string | undefined): void {
  const access = route.access ?? (method === 'GET' ? 'any' : 'admin');
  if (access === 'any' || isAdmin) return;
  if (authorization) throw new UnauthorizedError('the admin token in the Authorization header is not valid; use the token from <data-dir>/admin-token of the control plane');
  const what = route.resourceType ? `the resource of type "${route.resourceType}"` : `${method} ${route.path}`;
  const hint = method === 'GET' && route.resourceType ? '' : ': admin rights are needed (call from localhost, or send "Authorization: Bearer <token>" with the token from <data-dir>/admin-token)';
  throw new ForbiddenError(`${ANONYMOUS} cannot access ${what}${hint}`);
}

/**
 * Writes carry a JSON (or YAML) body. Besides naming the format, this is what keeps a cross-site
 * form or `fetch` out: browsers send only text/plain, form and multipart bodies without asking the
 * server first (CORS preflight), and this server answers no preflight.
 */
function checkContentType(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type) || YAML_TYPES.has(type)) return;
  const got = contentType === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType.slice(0, 100))}`;
  throw new UnsupportedMediaTypeError(`the request has ${got}; send the body as JSON with "Content-Type: application/json" (or YAML with "application/yaml")`);
}

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

function send(res: ServerResponse, out: ApiResponse): void {
  const headers: Record<string, string> = { ...out.headers };
  let payload: string | Buffer | undefined;
  if (out.body === undefined) payload = undefined;
  else if (typeof out.body === 'string') {
    payload = out.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (Buffer.isBuffer(out.body)) {
    payload = out.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else {
    payload = JSON.stringify(out.body);
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(out.status, headers);
  res.end(payload);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Paths can be long or hostile; log a bounded prefix without the query (it may hold filters). */
function safePath(url: string | undefined): string {
  return pathOf(url ?? '').slice(0, 200);
}
