/**
 * What the two streaming servers share: the dp-server (egresses) and the global's KDS server
 * (zone control planes) both hold long-lived NDJSON streams over HTTPS, route a few fixed
 * `METHOD /path` endpoints, and on close() end every stream so that each records its disconnect
 * before the connections go.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { isZonectlError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { sendError } from './http.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export interface RoutingOptions {
  /** `METHOD /path` -> handler; anything else is a 404. */
  routes: Record<string, RouteHandler>;
  log: Logger;
  /** Logged with the error when a handler fails with an unexpected (uncoded) error. */
  failedMessage: string;
  /** Statuses of coded errors worth a warning (a peer refused), and its message. */
  refusedStatuses: readonly number[];
  refusedMessage: string;
  /** A request target `new URL` cannot parse: 400 when true, else the 404 of an unknown route. */
  rejectMalformed?: boolean;
}

/** The request listener: routes, and maps every failure to problem details (never throws). */
export function routeRequests(opts: RoutingOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // `new URL` throws on request targets like `//[`; a throw here would be uncaught and end the process.
    const url = URL.canParse(req.url ?? '/', 'https://stream') ? new URL(req.url ?? '/', 'https://stream') : undefined;
    const route = `${req.method} ${url?.pathname ?? String(req.url).slice(0, 200)}`;
    const handler = url && Object.hasOwn(opts.routes, route) ? opts.routes[route] : undefined;
    const done =
      !url && opts.rejectMalformed
        ? Promise.reject(new ValidationError(`malformed request path: ${String(req.url).slice(0, 200)}`, [], 'Bad Request'))
        : url && handler
          ? handler(req, res, url)
          : Promise.reject(new NotFoundError(`no such endpoint: ${route}`));
    done.catch((err: unknown) => {
      if (!isZonectlError(err)) opts.log.error({ err: (err as Error)?.message, route }, opts.failedMessage);
      else if (opts.refusedStatuses.includes(err.status)) opts.log.warn({ route, reason: err.message }, opts.refusedMessage);
      sendError(res, err);
    });
  };
}

/** Writes one NDJSON line unless the stream has ended. */
export function writeLine(res: ServerResponse, msg: unknown): void {
  if (!res.writableEnded) res.write(`${JSON.stringify(msg)}\n`);
}

/**
 * Tracks a server's raw sockets, so close() also ends connections still in their TLS handshake
 * (which the HTTP layer's closeAllConnections() does not know about yet), and refuses new ones
 * once closing.
 */
export class StreamingServer {
  private closing = false;
  private readonly sockets = new Set<Socket>();

  constructor(readonly server: Server) {
    server.on('connection', (sock: Socket) => {
      if (this.closing) return void sock.destroy();
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Listens on host:port; a failure (a port in use) is thrown as `failure(code)`. */
  async listen(port: number, host: string, failure: (code: string) => Error): Promise<AddressInfo> {
    this.server.listen(port, host);
    try {
      await once(this.server, 'listening');
    } catch (err) {
      throw failure((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops listening, ends the streams (`endStreams`), lets their 'close' handlers queue their
   * disconnect records, waits for `flush` (the insight writes), then ends every connection.
   */
  async close(endStreams: () => void, flush: () => Promise<void>): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    endStreams();
    this.server.closeIdleConnections();
    await new Promise((r) => setImmediate(r));
    await flush();
    this.server.closeAllConnections();
    for (const sock of this.sockets) sock.destroy();
    await done;
  }
}
