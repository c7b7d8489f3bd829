/**
 * Per-connection data path: buffer the ClientHello (without losing a byte), route by SNI, then
 * either relay the untouched TLS bytes to a zone ingress (passthrough) or hand the socket, with
 * the buffered bytes put back, to the mesh-mTLS terminator.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../core/log.js';
import { parseClientHello } from './client-hello.js';
import type { EgressMetrics, RejectReason } from './metrics.js';
import { relay, UpstreamReader } from './relay.js';
import { pickEndpoint, type CompiledPassthrough, type RouteTable } from './route-table.js';

export interface DataPathContext {
  /** The route table in force (undefined before the first snapshot). */
  table(): RouteTable | undefined;
  metrics: EgressMetrics;
  log: Logger;
  clientHelloTimeoutMs: number;
  /** The terminating TLS server (not listening; fed with 'connection' events). */
  terminator: tls.Server;
  random: () => number;
  /** Upstream and TLS sockets, for drain and close (accepted sockets are tracked by the listener). */
  live: Set<net.Socket | tls.TLSSocket>;
  /** Set when drain time ran out: connections closed from then on count as `drained`. */
  forceClosed: boolean;
}

/** Handles one accepted socket until it is routed or rejected. */
export function onConnection(ctx: DataPathContext, client: net.Socket): void {
  ctx.metrics.onAccept();
  let buf: Buffer | undefined;
  let settled = false;
  const reject = (reason: RejectReason) => {
    settled = true;
    cleanup();
    ctx.metrics.reject(reason);
    client.destroy();
  };
  const timer = setTimeout(() => reject('timeout'), ctx.clientHelloTimeoutMs);
  const onData = (chunk: Buffer) => {
    buf = buf === undefined ? chunk : Buffer.concat([buf, chunk]);
    const hello = parseClientHello(buf);
    if (!hello.ok) {
      if (hello.reason !== 'need-more') reject(hello.reason);
      return;
    }
    settled = true;
    cleanup();
    client.pause();
    route(ctx, client, buf, hello.sni);
  };
  const onEnd = () => {
    // EOF before a whole ClientHello: a truncated hello, or a bare TCP probe (no bytes, not counted).
    if (settled) return;
    if (buf) reject('malformed');
    else {
      settled = true;
      cleanup();
      client.destroy();
    }
  };
  const onError = () => {
    if (!settled) {
      settled = true;
      cleanup();
    }
    client.destroy();
  };
  function cleanup() {
    clearTimeout(timer);
    client.removeListener('data', onData);
    client.removeListener('end', onEnd);
  }
  client.on('data', onData);
  client.on('end', onEnd);
  // Stays for the connection's life: a later error is handled by relay(), this one only keeps an
  // early reset from becoming an uncaught exception.
  client.on('error', onError);
}

function route(ctx: DataPathContext, client: net.Socket, hello: Buffer, sni: string | undefined): void {
  if (sni === undefined) return rejectRouted(ctx, client, 'no-sni');
  const r = ctx.table()?.routes.get(sni);
  if (!r) return rejectRouted(ctx, client, 'unknown-sni');
  if (r.kind === 'passthrough') {
    ctx.metrics.opened(sni);
    return connectPassthrough(ctx, client, hello, r, pickEndpoint(r, ctx.random), true);
  }
  // Put the hello back and let node:tls read it: a TLSSocket wrapping a socket with buffered
  // readable data feeds that data to the TLS engine first.
  client.unshift(hello);
  ctx.terminator.emit('connection', client);
}

function rejectRouted(ctx: DataPathContext, client: net.Socket, reason: RejectReason): void {
  ctx.metrics.reject(reason);
  client.destroy();
}

function connectPassthrough(ctx: DataPathContext, client: net.Socket, hello: Buffer, r: CompiledPassthrough, idx: number, mayRetry: boolean): void {
  const ep = r.endpoints[idx];
  const sni = r.route.sni;
  const started = performance.now();
  const epStats = ctx.metrics.endpointOf(sni, ep.key);
  const reader = new UpstreamReader();
  const up = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true, noDelay: true, onread: reader.onread });
  // The client may go away while we connect: stop connecting and account for it once.
  const abort = () => {
    up.removeAllListeners('error');
    up.on('error', () => {});
    up.destroy();
    finish(ctx, client, sni, 'error', 0, 0);
  };
  client.once('close', abort);
  up.once('error', (err: NodeJS.ErrnoException) => {
    client.removeListener('close', abort);
    ctx.metrics.connectFailed(sni, ep.key);
    ctx.log.debug({ sni, endpoint: ep.key, code: err.code }, 'upstream connect failed');
    // "if the connect fails, try the next endpoint once" (issue 6).
    if (mayRetry && r.endpoints.length > 1) return connectPassthrough(ctx, client, hello, r, (idx + 1) % r.endpoints.length, false);
    client.destroy();
    finish(ctx, client, sni, 'upstream-connect-failed', 0, 0);
  });
  up.once('connect', () => {
    client.removeListener('close', abort);
    up.removeAllListeners('error');
    ctx.metrics.connected(sni, ep.key, (performance.now() - started) / 1000);
    epStats.active++;
    epStats.total++;
    ctx.live.add(up);
    up.write(hello);
    relay(client, up, (end) => {
      epStats.active--;
      ctx.live.delete(up);
      finish(ctx, client, sni, end, up.bytesWritten, up.bytesRead);
    }, reader);
  });
}

function finish(ctx: DataPathContext, client: net.Socket | tls.TLSSocket, sni: string, end: 'closed' | 'error' | 'upstream-connect-failed', bytesIn: number, bytesOut: number): void {
  ctx.live.delete(client);
  ctx.metrics.closed(sni, ctx.forceClosed ? 'drained' : end, bytesIn, bytesOut);
}

/** Wires the terminating TLS server: verified mesh clients are relayed to the external service. */
export function attachTerminator(ctx: DataPathContext): void {
  ctx.terminator.on('tlsClientError', (_err: Error, tlsSock: tls.TLSSocket) => {
    ctx.metrics.reject('client-cert');
    tlsSock.destroy();
  });
  ctx.terminator.on('secureConnection', (tlsSock: tls.TLSSocket) => {
    const sni = typeof tlsSock.servername === 'string' ? tlsSock.servername : '';
    const r = ctx.table()?.routes.get(sni);
    if (!r || r.kind !== 'terminating') {
      ctx.metrics.reject('unknown-sni');
      return void tlsSock.destroy();
    }
    // The chain is verified against the mesh CA (requestCert + rejectUnauthorized); also require a
    // SPIFFE id of this mesh, so that a CA shared by two meshes cannot cross them.
    const peer = tlsSock.getPeerCertificate();
    const uris = (peer?.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('URI:'));
    if (!uris.some((u) => u.startsWith(`URI:spiffe://${r.route.mesh}/`))) {
      ctx.metrics.reject('client-cert');
      return void tlsSock.destroy();
    }
    ctx.metrics.opened(sni);
    ctx.live.add(tlsSock);
    const started = performance.now();
    const ep = `${r.route.address}:${r.route.port}`;
    // Plain upstreams read into a reused buffer (see UpstreamReader); TLS ones cannot (node:tls
    // has no onread) and use the 'data' path.
    const reader = r.origination ? undefined : new UpstreamReader();
    const up = r.origination
      ? tls.connect({ ...r.origination, allowHalfOpen: true } as tls.ConnectionOptions)
      : net.connect({ host: r.route.address, port: r.route.port, allowHalfOpen: true, noDelay: true, onread: reader!.onread });
    const abort = () => {
      up.removeAllListeners('error');
      up.on('error', () => {});
      up.destroy();
      finish(ctx, tlsSock, sni, 'error', 0, 0);
    };
    tlsSock.once('close', abort);
    tlsSock.on('error', () => tlsSock.destroy());
    up.once('error', (err: NodeJS.ErrnoException) => {
      tlsSock.removeListener('close', abort);
      ctx.metrics.connectFailed(sni, ep);
      ctx.log.debug({ sni, endpoint: ep, code: err.code, err: err.message }, 'external service connect failed');
      tlsSock.destroy();
      finish(ctx, tlsSock, sni, 'upstream-connect-failed', 0, 0);
    });
    up.once(r.origination ? 'secureConnect' : 'connect', () => {
      tlsSock.removeListener('close', abort);
      up.removeAllListeners('error');
      if (r.origination) up.setNoDelay(true);
      ctx.metrics.connected(sni, ep, (performance.now() - started) / 1000);
      const epStats = ctx.metrics.endpointOf(sni, ep);
      epStats.active++;
      epStats.total++;
      ctx.live.add(up);
      relay(
        tlsSock,
        up,
        (end) => {
          epStats.active--;
          ctx.live.delete(up);
          finish(ctx, tlsSock, sni, end, up.bytesWritten, up.bytesRead);
        },
        reader,
      );
    });
  });
}
