import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { generateEgressSnapshot, splitHostPort } from '../../../src/control-plane/egress-config/generate.js';
import type { EgressRoute, MeshIdentity } from '../../../src/resources/egress-config.js';
import type { Resource } from '../../../src/resources/types.js';

const pki = (file: string) => readFileSync(new URL(`../../fixtures/pki/${file}`, import.meta.url), 'utf8');
const CA_PEM = pki('ca.crt');
const CLIENT_CERT = pki('client.crt');
const CLIENT_KEY = pki('client.key');

/**
 * Kuma's goldens use `xyz` as the CA certificate; zonectl refuses TLS data that is not PEM (at
 * write time, and the generator skips it), so the fixtures' `xyz` stands for a real certificate.
 */
function fixture(name: string): Resource[] {
  const text = readFileSync(new URL(`../../fixtures/egress-config/${name}.yaml`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => JSON.parse(JSON.stringify(d.toJSON()).replaceAll('"xyz"', JSON.stringify(CA_PEM)).replaceAll('"eHl6"', JSON.stringify(Buffer.from(CA_PEM).toString('base64')))) as Resource);
}

function fakeIdentity(mesh: string): MeshIdentity {
  return { mesh, certPem: `CERT(${mesh})`, keyPem: `KEY(${mesh})`, caPem: `CA(${mesh})` };
}

function inputOf(docs: Resource[], zone = 'zone-1', identityMeshes?: string[]) {
  const of = (type: string) => docs.filter((d) => d.type === type);
  const meshes = of('Mesh');
  const withMtls = identityMeshes ?? meshes.filter((m) => (m.mtls as { enabledBackend?: string } | undefined)?.enabledBackend).map((m) => m.name);
  return {
    zone,
    meshes,
    zoneIngresses: of('ZoneIngress'),
    externalServices: of('ExternalService'),
    identities: new Map(withMtls.map((m) => [m, fakeIdentity(m)])),
    secrets: new Map([
      ['es-client-cert', CLIENT_CERT],
      ['es-client-key', CLIENT_KEY],
    ]),
  };
}

const cases: { name: string; routes: EgressRoute[]; identities: string[] }[] = [
  {
    name: '03.mixed-services',
    identities: ['mesh-1'],
    routes: [
      { kind: 'terminating', sni: 'externalservice-1{mesh=mesh-1}', mesh: 'mesh-1', service: 'externalservice-1', address: 'kuma.io', port: 80 },
      {
        kind: 'terminating',
        sni: 'externalservice-2{mesh=mesh-1}',
        mesh: 'mesh-1',
        service: 'externalservice-2',
        address: 'httpbin.io',
        port: 443,
        // Kuma's golden: SNI and SAN check default to the host of the address.
        tls: { serverName: 'httpbin.io', caPem: CA_PEM, allowRenegotiation: false },
      },
      { kind: 'passthrough', sni: 'service-1-zone-2{mesh=mesh-1}', mesh: 'mesh-1', service: 'service-1-zone-2', endpoints: [{ address: '10.0.0.254', port: 10001, weight: 3, zone: 'zone-2' }] },
      { kind: 'passthrough', sni: 'service-2-zone-2{mesh=mesh-1}', mesh: 'mesh-1', service: 'service-2-zone-2', endpoints: [{ address: '10.0.0.254', port: 10001, weight: 30, zone: 'zone-2' }] },
    ],
  },
  {
    name: '06.mixed-services-with-external-in-other-zone',
    identities: ['mesh-1'],
    routes: [
      { kind: 'terminating', sni: 'externalservice-1{mesh=mesh-1}', mesh: 'mesh-1', service: 'externalservice-1', address: 'kuma.io', port: 80 },
      { kind: 'passthrough', sni: 'externalservice-2{mesh=mesh-1}', mesh: 'mesh-1', service: 'externalservice-2', endpoints: [{ address: '10.0.0.254', port: 10001, weight: 30, zone: 'zone-2' }] },
      { kind: 'passthrough', sni: 'service-1-zone-2{mesh=mesh-1}', mesh: 'mesh-1', service: 'service-1-zone-2', endpoints: [{ address: '10.0.0.254', port: 10001, weight: 3, zone: 'zone-2' }] },
      { kind: 'passthrough', sni: 'service-2-zone-2{mesh=mesh-1}', mesh: 'mesh-1', service: 'service-2-zone-2', endpoints: [{ address: '10.0.0.254', port: 10001, weight: 30, zone: 'zone-2' }] },
    ],
  },
  {
    name: 'same-kuma-io-service',
    identities: ['mesh-1', 'mesh-2'],
    routes: [
      { kind: 'terminating', sni: 'externalservice{mesh=mesh-1}', mesh: 'mesh-1', service: 'externalservice', address: 'kuma.io', port: 80 },
      { kind: 'terminating', sni: 'externalservice{mesh=mesh-2}', mesh: 'mesh-2', service: 'externalservice', address: 'kuma.io', port: 80 },
    ],
  },
  {
    name: 'multi-zone',
    identities: ['mesh-1', 'no-egress'],
    routes: [
      {
        kind: 'passthrough',
        sni: 'web{mesh=mesh-1}',
        mesh: 'mesh-1',
        service: 'web',
        endpoints: [
          { address: '10.0.3.1', port: 10001, weight: 3, zone: 'zone-3' },
          { address: '203.0.113.2', port: 31001, weight: 5, zone: 'zone-2' },
        ],
      },
      {
        kind: 'terminating',
        sni: 'es-tls{mesh=no-egress}',
        mesh: 'no-egress',
        service: 'es-tls',
        address: '::1',
        port: 8443,
        tls: { serverName: 'api.example.com', caPem: CA_PEM, certPem: CLIENT_CERT, keyPem: CLIENT_KEY },
      },
    ],
  },
];

describe('egress snapshot generator (inputs modelled on Kuma egress-xds-legacy)', () => {
  for (const c of cases) {
    test(c.name, () => {
      const { snapshot, warnings } = generateEgressSnapshot(inputOf(fixture(c.name)));
      assert.deepEqual(warnings, []);
      assert.deepEqual(snapshot.routes, c.routes);
      assert.deepEqual(
        snapshot.identities.map((i) => i.mesh),
        c.identities,
      );
      assert.match(snapshot.version, /^[0-9a-f]{32}$/);
    });
  }

  test('the version depends on content only: input order does not matter, any change does', () => {
    const docs = fixture('multi-zone');
    const a = generateEgressSnapshot(inputOf(docs)).snapshot;
    const b = generateEgressSnapshot(inputOf([...docs].reverse())).snapshot;
    assert.deepEqual(b, a);
    const changed = docs.map((d) => (d.name === 'zone-2-ingress' ? { ...d, availableServices: [{ tags: { 'kuma.io/service': 'web' }, instances: 6, mesh: 'mesh-1' }] } : d));
    assert.notEqual(generateEgressSnapshot(inputOf(changed)).snapshot.version, a.version);
    const rotated = inputOf(docs);
    rotated.identities.set('mesh-1', { ...fakeIdentity('mesh-1'), certPem: 'NEW CERT' });
    assert.notEqual(generateEgressSnapshot(rotated).snapshot.version, a.version);
  });

  test('a mesh without an identity (CA not usable) is left out entirely', () => {
    const { snapshot } = generateEgressSnapshot(inputOf(fixture('03.mixed-services'), 'zone-1', []));
    assert.deepEqual(snapshot, { version: snapshot.version, identities: [], routes: [], permissions: { routes: [] } });
  });

  test('the control plane of zone-2 does not route to its own ingress', () => {
    const { snapshot } = generateEgressSnapshot(inputOf(fixture('03.mixed-services'), 'zone-2'));
    assert.deepEqual(
      snapshot.routes.map((r) => `${r.kind} ${r.sni}`),
      ['terminating externalservice-1{mesh=mesh-1}', 'terminating externalservice-2{mesh=mesh-1}'],
    );
  });

  test('broken resources are skipped with a warning that names them', () => {
    const docs: Resource[] = [
      { type: 'Mesh', name: 'm', mtls: { enabledBackend: 'ca', backends: [{ name: 'ca', type: 'builtin' }] } },
      { type: 'ExternalService', name: 'no-port', mesh: 'm', tags: { 'kuma.io/service': 'a' }, networking: { address: 'example.com' } },
      { type: 'ExternalService', name: 'no-tag', mesh: 'm', tags: {}, networking: { address: 'example.com:80' } },
      { type: 'ExternalService', name: 'missing-secret', mesh: 'm', tags: { 'kuma.io/service': 'b' }, networking: { address: 'example.com:443', tls: { enabled: true, caCert: { secret: 'nope' } } } },
      { type: 'ExternalService', name: 'dup-1', mesh: 'm', tags: { 'kuma.io/service': 'dup' }, networking: { address: 'one.example:80' } },
      { type: 'ExternalService', name: 'dup-2', mesh: 'm', tags: { 'kuma.io/service': 'dup' }, networking: { address: 'two.example:80' } },
      { type: 'ExternalService', name: 'garbage-ca', mesh: 'm', tags: { 'kuma.io/service': 'c' }, networking: { address: 'example.com:443', tls: { enabled: true, caCert: { secret: 'not-pem' } } } },
      { type: 'ExternalService', name: 'garbage-key', mesh: 'm', tags: { 'kuma.io/service': 'd' }, networking: { address: 'example.com:443', tls: { enabled: true, clientCert: { secret: 'es-client-cert' }, clientKey: { secret: 'not-pem' } } } },
      { type: 'ZoneIngress', name: 'zi', zone: 'zone-9', networking: {}, availableServices: [] },
    ];
    const input = inputOf(docs);
    input.secrets.set('not-pem', '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n');
    const { snapshot, warnings } = generateEgressSnapshot(input);
    assert.deepEqual(snapshot.routes.map((r) => (r.kind === 'terminating' ? `${r.sni} ${r.address}` : r.sni)), ['dup{mesh=m} one.example']);
    assert.deepEqual(warnings, [
      'ExternalService m/dup-2: service dup is already served by another ExternalService, skipped',
      'ExternalService m/garbage-ca: networking.tls.caCert PEM block 1 is not a valid X.509 certificate, skipped',
      'ExternalService m/garbage-key: networking.tls.clientKey is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block), skipped',
      'ExternalService m/missing-secret: networking.tls.caCert: secret nope not found, skipped',
      'ExternalService m/no-port: networking.address "example.com" is not host:port, skipped',
      'ExternalService m/no-tag: no kuma.io/service tag, skipped',
      'ZoneIngress zi: no advertised address and port, skipped',
    ]);
  });

  test('splitHostPort handles names, IPv4 and bracketed IPv6', () => {
    assert.deepEqual(splitHostPort('kuma.io:80'), { host: 'kuma.io', port: 80 });
    assert.deepEqual(splitHostPort('[::1]:8443'), { host: '::1', port: 8443 });
    assert.equal(splitHostPort('::1:80'), undefined);
    assert.equal(splitHostPort('host:0'), undefined);
  });
});
