import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { certificateInfo, createCA, isCaPair, issueCertificate } from '../../src/core/pki.js';

test('a mesh CA issues SPIFFE identities that node:tls accepts for mutual TLS', async (t) => {
  const ca = await createCA({ commonName: 'mesh-1', validForMs: 86_400_000 });
  const server = await issueCertificate({ ca, uris: ['spiffe://mesh-1/zone-egress'], usage: 'both', validForMs: 3_600_000 });
  const client = await issueCertificate({ ca, uris: ['spiffe://mesh-1/web'], usage: 'client', validForMs: 3_600_000 });
  assert.deepEqual(certificateInfo(server.certPem).uris, ['spiffe://mesh-1/zone-egress']);
  assert.equal(certificateInfo(ca.certPem).isCA, true);
  assert.equal(isCaPair(ca.certPem, ca.keyPem), true);
  assert.equal(isCaPair(ca.certPem, client.keyPem), false);

  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
    s.end(String(s.getPeerCertificate().subjectaltname));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const sock = tls.connect({ port: (srv.address() as AddressInfo).port, host: '127.0.0.1', ca: ca.certPem, cert: client.certPem, key: client.keyPem, checkServerIdentity: () => undefined });
  let got = '';
  sock.setEncoding('utf8').on('data', (d) => (got += d));
  await once(sock, 'end');
  assert.equal(got, 'URI:spiffe://mesh-1/web');
});

test('RSA CAs work too (builtin CA with RSAbits)', async () => {
  const ca = await createCA({ commonName: 'mesh-rsa', key: { kind: 'rsa', bits: 2048 }, validForMs: 86_400_000 });
  const leaf = await issueCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', validForMs: 3_600_000 });
  assert.deepEqual(certificateInfo(leaf.certPem).dnsNames, ['localhost']);
  assert.equal(isCaPair(ca.certPem, ca.keyPem), true);
});
