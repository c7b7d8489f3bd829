/**
 * Stand-ins for what the demo routes to, all on 127.0.0.1: a TLS echo server playing a zone-2
 * ingress (it presents a mesh identity, so the sidecar sees that TLS went end to end), and a plain
 * HTTP server playing an external service.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import tls from 'node:tls';

export interface LocalService {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    });
}

/** Echoes every byte back, prefixed once with a greeting naming the service. */
export async function startTlsEcho(service: string, certPem: string, keyPem: string): Promise<LocalService> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: certPem, key: keyPem }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(`${service} in zone-2 says: `);
    socket.pipe(socket);
  });
  const port = await listen(server);
  const close = closer(server);
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await close();
    },
  };
}

/** A tiny HTTP API standing in for something outside the mesh (httpbin). */
export async function startHttpService(): Promise<LocalService> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ service: 'httpbin (external)', method: req.method, path: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const port = await listen(server);
  return { port, close: closer(server) };
}
