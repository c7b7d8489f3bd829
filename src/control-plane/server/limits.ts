/**
 * Connection limits and timeouts shared by the API server and the dp-server, so no client can
 * hold a connection (or a file descriptor) forever:
 * - headersTimeoutMs / requestTimeoutMs: a request must arrive, headers and body, in time
 *   (slow-loris); node:http answers 408 through the clientError handler;
 * - idleTimeoutMs: a connection with no byte either way for this long is destroyed, which also
 *   frees clients that send a request and never read the answer (their response stalls);
 * - keepAliveTimeoutMs: how long an idle keep-alive connection waits for its next request;
 * - maxConnections: beyond it new connections are closed at once, before anything is read, so the
 *   process keeps the descriptors it needs (store, listeners) and the clients it already serves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Logger } from '../../core/log.js';

export interface ServerLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const SERVER_LIMITS_DEFAULTS: ServerLimits = {
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
};

/**
 * node:http checks header and request deadlines on an interval fixed at construction (30 s by
 * default, far coarser than the deadlines): pass this in the server's options.
 */
export function connectionsCheckingInterval(limits: ServerLimits): number {
  return Math.max(20, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/** The parts of http.Server / https.Server these limits set. */
interface HttpLikeServer extends Server {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  setTimeout(ms: number): this;
}

/**
 * Applies `limits` to a node:http(s) server. Refused connections are counted and logged at most
 * once per 10 s (a flood must not flood the log as well).
 */
export function applyServerLimits(server: HttpLikeServer, limits: ServerLimits, log: Logger, name: string): { refused: () => number } {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // No 'timeout' listener on the server: node destroys a socket when it times out.
  server.setTimeout(limits.idleTimeoutMs);
  let refused = 0;
  let lastLog = 0;
  server.on('drop', () => {
    refused++;
    const now = Date.now();
    if (now - lastLog < 10_000) return;
    lastLog = now;
    log.warn({ server: name, maxConnections: limits.maxConnections, refusedSoFar: refused }, 'connection limit reached: refusing new connections (raise --max-connections if this load is expected)');
  });
  return { refused: () => refused };
}

/**
 * Requests one connection may have in flight (received, answer not finished). A client that
 * pipelines more than this without reading the answers is closed.
 *
 * Why: node:http parses a whole read (64 KiB: ~2,000 small requests) at once and emits every
 * request in it; each would be answered and, unread, held in memory. Ten such connections kept
 * this process busy for seconds, mostly in garbage collection, and every other client and timer
 * waited (test:reliability part b, 2026-11-27). Go's net/http (kuma-cp) answers pipelined requests
 * one at a time instead; node:http cannot, so zonectl bounds them. Browsers do not pipeline, and a
 * client that does (curl, HTTP libraries) keeps far fewer than this in flight.
 */
export const MAX_PIPELINED = 128;

const kInFlight = Symbol('zonectl.inFlight');
type Counted = { [kInFlight]?: number };

/**
 * Wraps a request handler so that a connection with more than `max` requests in flight is closed
 * at once: the excess is not handled (no work, no answer), and the answers already being written
 * are abandoned with the connection. Logged at most once per 10 s per server.
 */
export function capPipelining(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  log: Logger,
  name: string,
  max = MAX_PIPELINED,
): (req: IncomingMessage, res: ServerResponse) => void {
  let closed = 0;
  let lastLog = 0;
  return (req, res) => {
    const socket = req.socket as typeof req.socket & Counted;
    if (socket.destroyed) return;
    const n = (socket[kInFlight] = (socket[kInFlight] ?? 0) + 1);
    if (n > max) {
      socket.destroy();
      closed++;
      const now = Date.now();
      if (now - lastLog >= 10_000) {
        lastLog = now;
        log.warn({ server: name, remoteAddress: socket.remoteAddress, maxPipelined: max, closedSoFar: closed }, 'a client pipelined more requests than it reads answers: connection closed');
      }
      return;
    }
    res.once('close', () => void (socket[kInFlight] = socket[kInFlight]! - 1));
    handler(req, res);
  };
}
