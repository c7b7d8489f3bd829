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
