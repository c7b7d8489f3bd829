import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { issueCertificate } from '../../src/core/pki.js';
import type { EgressSnapshot, TerminatingRoute } from '../../src/resources/egress-config.js';
import { closed, egress, listen, meshPki, plainEcho, readN, serverPki, tlsEcho, until, type MeshPki } from './helpers.js';

const SNI = 'httpbin{mesh=mesh-1}';

describe('terminating (external services)', () => {
  let m1: MeshPki;
  let m2: MeshPki;
  before(async () => {
    [m1, m2] = await Promise.all([meshPki('mesh-1'), meshPki('mesh-2')]);
  });

  const snap = (route: Omit<TerminatingRoute, 'kind' | 'sni' | 'mesh' | 'service'>, extra: Partial<EgressSnapshot> = {}): EgressSnapshot => ({
    version: 'v1',
    identities: [m1.identity, m2.identity],
    routes: [{ kind: 'terminating', sni: SNI, mesh: 'mesh-1', service: 'httpbin', ...route }],
    ...extra,
  });

  const meshClient = (port: number, client: { certPem: string; keyPem: string } | undefined, ca = m1.ca.certPem, servername = SNI) => {
    const c = tls.connect({ host: '127.0.0.1', port, servername, ca, cert: client?.certPem, key: client?.keyPem, checkServerIdentity: () => undefined });
    c.on('error', () => {});
    return c;
  };

  test('a mesh client reaches a plain TCP external service through the egress identity', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext }));
    const c = meshClient(e.port, m1.client);
    t.after(() => c.destroy());
    await once(c, 'secureConnect');
    assert.equal(c.authorized, true, 'the client verified the egress against the mesh CA');
    const san = c.getPeerCertificate().subjectaltname;
    assert.equal(san, 'URI:spiffe://mesh-1/zone-egress');
    c.write('ping');
    assert.equal(await readN(c, 'ext:ping'.length), 'ext:ping');
    c.end();
    await once(c, 'close');
    await until(() => e.stats().routes[SNI]?.outcomes.closed === 1, 'the connection to be counted');
  });

  test('8 MiB from an external service reach a slow mesh client byte for byte', async (t) => {
    const payload = randomBytes(8 * 1024 * 1024);
    const ext = await listen(
      t,
      net.createServer((s) => {
        s.on('error', () => {});
        s.end(payload);
      }),
    );
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext }));
    const c = meshClient(e.port, m1.client);
    t.after(() => c.destroy());
    const h = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      c.on('data', (d: Buffer) => {
        h.update(d);
        // Pause after every chunk so the egress sees backpressure on the TLS side.
        c.pause();
        setImmediate(() => c.resume());
      });
      c.on('end', resolve);
      c.on('error', reject);
    });
    assert.equal(h.digest('hex'), createHash('sha256').update(payload).digest('hex'));
  });

  test('TLS origination to an external service verifies it with the route CA and sends its SNI', async (t) => {
    const pki = await serverPki('api.example.com');
    let sniSeen: unknown;
    let clientCertSeen: string | undefined;
    const originClient = await issueCertificate({ ca: pki.ca, commonName: 'egress-client', usage: 'client', validForMs: 86_400_000 });
    const ext = await tlsEcho(t, 'tls-ext', { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true });
    ext.server.on('secureConnection', (s: tls.TLSSocket) => {
      sniSeen = s.servername;
      clientCertSeen = String(s.getPeerCertificate().subject?.CN);
    });
    const e = await egress(
      t,
      snap({ address: '127.0.0.1', port: ext.port, tls: { serverName: 'api.example.com', caPem: pki.ca.certPem, certPem: originClient.certPem, keyPem: originClient.keyPem } }),
    );
    const c = meshClient(e.port, m1.client);
    t.after(() => c.destroy());
    c.write('hi');
    assert.equal(await readN(c, 'tls-ext:hi'.length), 'tls-ext:hi');
    assert.equal(sniSeen, 'api.example.com');
    assert.equal(clientCertSeen, 'egress-client');
  });

  test('an external service whose certificate does not verify is never reached with data', async (t) => {
    const pki = await serverPki('api.example.com');
    const other = await serverPki('other');
    const ext = await tlsEcho(t, 'tls-ext', { cert: pki.server.certPem, key: pki.server.keyPem });
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext.port, tls: { serverName: 'api.example.com', caPem: other.ca.certPem } }));
    const c = meshClient(e.port, m1.client);
    const res = await closed(c);
    assert.equal(res.bytes, 0);
    await until(() => e.stats().routes[SNI]?.outcomes['upstream-connect-failed'] === 1, 'the failure to be counted');
  });

  test('a client without a certificate is rejected', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext }));
    const c = meshClient(e.port, undefined);
    c.on('secureConnect', () => c.write('x'));
    const res = await closed(c);
    assert.equal(res.bytes, 0, 'no byte of the external service reached the client');
    await until(() => e.stats().rejected['client-cert'] === 1, 'the rejection to be counted');
    assert.equal(e.stats().routes[SNI].total, 0, 'never routed');
  });

  test('a client certificate from another mesh CA is rejected', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext }));
    const c = meshClient(e.port, m2.client);
    c.on('secureConnect', () => c.write('x'));
    const res = await closed(c);
    assert.equal(res.bytes, 0);
    await until(() => e.stats().rejected['client-cert'] === 1, 'the rejection to be counted');
  });

  test('a certificate from the right CA but with another mesh SPIFFE id is rejected', async (t) => {
    const ext = await plainEcho(t, 'ext');
    const e = await egress(t, snap({ address: '127.0.0.1', port: ext }));
    const foreign = await issueCertificate({ ca: m1.ca, uris: ['spiffe://mesh-2/web'], usage: 'client', validForMs: 86_400_000 });
    const c = meshClient(e.port, foreign);
    c.on('secureConnect', () => c.write('x'));
    const res = await closed(c);
    assert.equal(res.bytes, 0);
    await until(() => e.stats().rejected['client-cert'] === 1, 'the rejection to be counted');
  });

  test('one egress serves two meshes, each with its own identity', async (t) => {
    const ext1 = await plainEcho(t, 'one');
    const ext2 = await plainEcho(t, 'two');
    const s: EgressSnapshot = {
      version: 'v1',
      identities: [m1.identity, m2.identity],
      routes: [
        { kind: 'terminating', sni: 'a{mesh=mesh-1}', mesh: 'mesh-1', service: 'a', address: '127.0.0.1', port: ext1 },
        { kind: 'terminating', sni: 'a{mesh=mesh-2}', mesh: 'mesh-2', service: 'a', address: '127.0.0.1', port: ext2 },
      ],
    };
    const e = await egress(t, s);
    const c1 = meshClient(e.port, m1.client, m1.ca.certPem, 'a{mesh=mesh-1}');
    const c2 = meshClient(e.port, m2.client, m2.ca.certPem, 'a{mesh=mesh-2}');
    t.after(() => (c1.destroy(), c2.destroy()));
    c1.write('x');
    c2.write('y');
    assert.equal(await readN(c1, 5), 'one:x');
    assert.equal(await readN(c2, 5), 'two:y');
    assert.equal(c2.getPeerCertificate().subjectaltname, 'URI:spiffe://mesh-2/zone-egress');
  });
});
