/**
 * Acts as a sidecar of the mesh: connects to the egress with the tag SNI of the destination and a
 * client certificate from the mesh CA, exactly as a Kuma sidecar's outbound cluster would.
 */
import { once } from 'node:events';
import tls from 'node:tls';

export interface SidecarIdentity {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export interface SidecarExchange {
  /** URI SANs of the certificate the far end presented. */
  peerUris: string[];
  reply: string;
}

function uris(cert: tls.PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/**
 * Sends `payload` over TLS to the egress at host:port with SNI `sni`, reads until the far end
 * closes or `until` matches, and returns what it got. The peer's identity is checked against
 * `expectUriPrefix` (SPIFFE) instead of a host name, as sidecars do.
 */
export async function sidecarRequest(opts: {
  host: string;
  port: number;
  sni: string;
  identity: SidecarIdentity;
  payload: string;
  expectUri: string;
  until?: RegExp;
  timeoutMs?: number;
}): Promise<SidecarExchange> {
  const socket = tls.connect({
    host: opts.host,
    port: opts.port,
    servername: opts.sni,
    ca: opts.identity.caPem,
    cert: opts.identity.certPem,
    key: opts.identity.keyPem,
    checkServerIdentity: (_host, cert) => (uris(cert).includes(opts.expectUri) ? undefined : new Error(`peer is ${uris(cert).join(',') || 'anonymous'}, expected ${opts.expectUri}`)),
  });
  const timer = setTimeout(() => socket.destroy(new Error(`no answer through the egress within ${opts.timeoutMs ?? 5000} ms`)), opts.timeoutMs ?? 5000);
  try {
    await once(socket, 'secureConnect');
    const peerUris = uris(socket.getPeerCertificate());
    socket.write(opts.payload);
    let reply = '';
    socket.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d: string) => {
        reply += d;
        if (opts.until?.test(reply)) resolve();
      });
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    return { peerUris, reply };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
