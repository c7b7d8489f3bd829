/** Shared fixtures for egress tests: mesh PKI, upstream servers, clients, all on 127.0.0.1. */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { createCA, issueCertificate, type KeyPairPem } from '../../src/core/pki.js';
import { startEgress, type EgressHandle, type EgressOptions } from '../../src/egress/index.js';
import type { EgressSnapshot, MeshIdentity } from '../../src/resources/egress-config.js';

type After = { after: (fn: () => unknown) => void };
const DAY = 86_400_000;

export interface MeshPki {
  mesh: string;
  ca: KeyPairPem;
  identity: MeshIdentity;
  /** A client certificate `spiffe://<mesh>/web` from the mesh CA. */
  client: KeyPairPem;
}

export async function meshPki(mesh: string): Promise<MeshPki> {
  const ca = await createCA({ commonName: `${mesh} CA`, validForMs: DAY });
  const id = await issueCertificate({ ca, uris: [`spiffe://${mesh}/zone-egress`], usage: 'server', validForMs: DAY });
  const client = await issueCertificate({ ca, uris: [`spiffe://${mesh}/web`], usage: 'client', validForMs: DAY });
  return { mesh, ca, identity: { mesh, certPem: id.certPem, keyPem: id.keyPem, caPem: ca.certPem }, client };
}

/** A CA and a server certificate for 127.0.0.1 / localhost, for upstreams playing remote peers. */
export async function serverPki(name: string): Promise<{ ca: KeyPairPem; server: KeyPairPem }> {
  const ca = await createCA({ commonName: `${name} CA`, validForMs: DAY });
  const server = await issueCertificate({ ca, commonName: name, dnsNames: ['localhost', name], ipAddresses: ['127.0.0.1'], usage: 'both', validForMs: DAY });
  return { ca, server };
}

export async function egress(t: After, snapshot: EgressSnapshot | undefined, opts: Partial<EgressOptions> = {}): Promise<EgressHandle> {
  const e = await startEgress({ address: '127.0.0.1', port: 0, adminPort: 0, snapshot, ...opts });
  t.after(() => e.close());
  return e;
}

export async function listen<S extends net.Server>(t: After, server: S): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** A TCP echo server that prefixes what it echoes with `tag:` once, so tests see who answered. */
export function tagEcho(tag: string, socket: net.Socket | tls.TLSSocket): void {
  socket.write(`${tag}:`);
  socket.pipe(socket);
  socket.on('error', () => {});
}

export async function plainEcho(t: After, tag: string, opts: net.ServerOpts = {}): Promise<number> {
  return listen(t, net.createServer(opts, (s) => tagEcho(tag, s)));
}

export async function tlsEcho(t: After, tag: string, opts: tls.TlsOptions): Promise<{ port: number; server: tls.Server }> {
  const server = tls.createServer(opts, (s) => tagEcho(tag, s));
  server.on('tlsClientError', () => {});
  return { port: await listen(t, server), server };
}

/** Reads from a socket until `n` bytes arrived or it ends. */
export async function readN(s: net.Socket | tls.TLSSocket, n: number): Promise<string> {
  let got = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= n) done();
    };
    const done = () => {
      s.removeListener('data', onData);
      s.removeListener('end', done);
      s.removeListener('error', reject);
      resolve(got);
    };
    s.on('data', onData);
    s.once('end', done);
    s.once('error', reject);
  });
}

/** Resolves when the socket closes; reports whether any byte arrived and how it ended. */
export function closed(s: net.Socket | tls.TLSSocket): Promise<{ bytes: number; error?: string }> {
  let bytes = 0;
  let error: string | undefined;
  s.on('data', (d: Buffer) => (bytes += d.length));
  s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  return new Promise((resolve) => s.once('close', () => resolve({ bytes, error })));
}

export function rawConnect(t: After, port: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  t.after(() => s.destroy());
  return once(s, 'connect').then(() => s);
}

export async function admin(e: EgressHandle, path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${e.adminPort}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** Waits until `check` holds, polling the event loop (for counters updated on socket close). */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
