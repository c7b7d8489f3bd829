// Every semantic rule with a passing and a failing case, table-driven over validateResource():
// each row is a base document of its kind plus a change, and the exact violations expected.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Violation } from '../../src/core/errors.js';
import { validateResource } from '../../src/resources/validate.js';

const pki = (file: string) => readFileSync(new URL(`../fixtures/pki/${file}`, import.meta.url), 'utf8');
const CA_PEM = pki('ca.crt');
const CLIENT_CERT = pki('client.crt');
const CLIENT_KEY = pki('client.key');

const base: Record<string, Record<string, unknown>> = {
  Mesh: { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
  ZoneEgress: { type: 'ZoneEgress', name: 'ze-1', zone: 'zone-1', networking: { address: '192.168.0.1', port: 10002, admin: { port: 9901 } } },
  ZoneIngress: {
    type: 'ZoneIngress',
    name: 'zi-1',
    zone: 'zone-2',
    networking: { address: '10.0.0.2', port: 10001, advertisedAddress: 'ingress.zone-2.example.com', advertisedPort: 10001 },
    availableServices: [{ mesh: 'default', instances: 2, tags: { 'kuma.io/service': 'backend', version: 'v1' } }],
  },
  ExternalService: { type: 'ExternalService', mesh: 'default', name: 'httpbin', networking: { address: 'httpbin.org:443', tls: { enabled: true } }, tags: { 'kuma.io/service': 'httpbin' } },
  GlobalSecret: { type: 'GlobalSecret', name: 'zone-token-signing-key-1', data: 'c2VjcmV0' },
};

interface Row {
  name: string;
  kind: keyof typeof base;
  /** Changes applied to a copy of the base document: dotted path -> value (undefined deletes). */
  set?: Record<string, unknown>;
  expect: Violation[];
  strict?: boolean;
}

function apply(doc: Record<string, unknown>, set: Record<string, unknown> = {}): Record<string, unknown> {
  const copy = structuredClone(doc);
  for (const [path, value] of Object.entries(set)) {
    const parts = path.split('.');
    let node = copy as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) {
      if (node[p] === undefined || node[p] === null || typeof node[p] !== 'object') node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

const RFC1123 =
  "invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const PORT = 'port must be in the range [1, 65535]';

const rows: Row[] = [
  // Every base document is valid.
  ...Object.keys(base).map((kind): Row => ({ name: `${kind}: the base document is valid`, kind, expect: [] })),

  // Meta
  { name: 'name: cannot be empty', kind: 'ZoneEgress', set: { name: '' }, expect: [{ field: 'name', message: 'cannot be empty' }] },
  { name: 'name: missing', kind: 'ZoneEgress', set: { name: undefined }, expect: [{ field: 'name', message: 'cannot be empty' }] },
  { name: 'name: 253 characters pass', kind: 'ZoneEgress', set: { name: 'a'.repeat(253) }, expect: [] },
  { name: 'name: 254 characters fail', kind: 'ZoneEgress', set: { name: 'a'.repeat(254) }, expect: [{ field: 'name', message: 'value length must less or equal 253' }] },
  { name: 'name: RFC 1123 subdomain with dots passes', kind: 'ZoneEgress', set: { name: 'ze.zone-1' }, expect: [] },
  { name: 'name: uppercase fails', kind: 'ZoneEgress', set: { name: 'Egress' }, expect: [{ field: 'name', message: RFC1123 }] },
  { name: 'name: underscore fails', kind: 'ZoneEgress', set: { name: 'under_score' }, expect: [{ field: 'name', message: RFC1123 }] },
  { name: 'name: a number is a type error', kind: 'ZoneEgress', set: { name: 4 }, expect: [{ field: 'name', message: 'must be a string' }] },
  { name: 'Mesh name: 63 characters pass', kind: 'Mesh', set: { name: 'm'.repeat(63) }, expect: [] },
  { name: 'Mesh name: 64 characters fail', kind: 'Mesh', set: { name: 'm'.repeat(64) }, expect: [{ field: 'name', message: 'value length must less or equal 63' }, { field: 'mtls.backends[0].name', message: '"ca-1" name must be valid dns name' }] },
  { name: 'mesh: underscores and dots pass', kind: 'ExternalService', set: { mesh: 'my_mesh.1' }, expect: [] },
  { name: 'mesh: invalid characters fail', kind: 'ExternalService', set: { mesh: 'def$ault' }, expect: [{ field: 'mesh', message: "invalid characters. Valid characters are numbers, lowercase latin letters and '-', '_', '.' symbols." }] },
  { name: 'mesh: required on a mesh-scoped kind', kind: 'ExternalService', set: { mesh: undefined }, expect: [{ field: 'mesh', message: 'cannot be empty' }] },

  // ZoneEgress, in the order
  { name: 'ZoneEgress: admin port equal to port on 127.0.0.1 fails', kind: 'ZoneEgress', set: { 'networking.address': '127.0.0.1', 'networking.admin.port': 10002 }, expect: [{ field: 'networking.admin.port', message: 'must differ from port' }] },
  {
    name: 'ZoneEgress: admin port equal to port on 0.0.0.0 fails (twice: wildcard address too)',
    kind: 'ZoneEgress',
    set: { 'networking.address': '0.0.0.0', 'networking.admin.port': 10002 },
    expect: [
      { field: 'networking.admin.port', message: 'must differ from port' },
      { field: 'networking.address', message: 'must not be 0.0.0.0 or ::' },
    ],
  },
  { name: 'ZoneEgress: admin port equal to port on another address passes', kind: 'ZoneEgress', set: { 'networking.admin.port': 10002 }, expect: [] },
  { name: 'ZoneEgress: address :: fails', kind: 'ZoneEgress', set: { 'networking.address': '::' }, expect: [{ field: 'networking.address', message: 'must not be 0.0.0.0 or ::' }] },
  { name: 'ZoneEgress: DNS name address passes', kind: 'ZoneEgress', set: { 'networking.address': 'egress.zone-1.svc' }, expect: [] },
  { name: 'ZoneEgress: IPv6 address passes', kind: 'ZoneEgress', set: { 'networking.address': 'fd00::1' }, expect: [] },
  { name: 'ZoneEgress: empty address passes', kind: 'ZoneEgress', set: { 'networking.address': '' }, expect: [] },
  { name: 'ZoneEgress: invalid address fails', kind: 'ZoneEgress', set: { 'networking.address': 'not an address!' }, expect: [{ field: 'networking.address', message: 'address has to be valid IP address or domain name' }] },
  { name: 'ZoneEgress: port 0 fails', kind: 'ZoneEgress', set: { 'networking.port': 0 }, expect: [{ field: 'networking.port', message: PORT }] },
  { name: 'ZoneEgress: port 65536 fails', kind: 'ZoneEgress', set: { 'networking.port': 65536 }, expect: [{ field: 'networking.port', message: PORT }] },
  { name: 'ZoneEgress: port 65535 passes', kind: 'ZoneEgress', set: { 'networking.port': 65535 }, expect: [] },
  { name: 'ZoneEgress: missing networking fails on the port', kind: 'ZoneEgress', set: { networking: undefined }, expect: [{ field: 'networking.port', message: PORT }] },
  { name: 'ZoneEgress: a string port is a type error only', kind: 'ZoneEgress', set: { 'networking.port': '10002' }, expect: [{ field: 'networking.port', message: 'must be an integer' }] },
  {
    name: 'ZoneEgress: all three problems are reported, in order',
    kind: 'ZoneEgress',
    set: { 'networking.address': '127.0.0.1', 'networking.port': 70000, 'networking.admin.port': 70000 },
    expect: [
      { field: 'networking.admin.port', message: 'must differ from port' },
      { field: 'networking.port', message: PORT },
    ],
  },

  // ZoneIngress
  { name: 'ZoneIngress: advertisedPort without advertisedAddress fails', kind: 'ZoneIngress', set: { 'networking.advertisedAddress': undefined }, expect: [{ field: 'networking.advertisedAddress', message: 'has to be defined with advertisedPort' }] },
  { name: 'ZoneIngress: advertisedAddress without advertisedPort fails', kind: 'ZoneIngress', set: { 'networking.advertisedPort': undefined }, expect: [{ field: 'networking.advertisedPort', message: 'has to be defined with advertisedAddress' }] },
  { name: 'ZoneIngress: neither advertised field passes', kind: 'ZoneIngress', set: { 'networking.advertisedPort': undefined, 'networking.advertisedAddress': undefined }, expect: [] },
  { name: 'ZoneIngress: advertisedAddress 0.0.0.0 fails', kind: 'ZoneIngress', set: { 'networking.advertisedAddress': '0.0.0.0' }, expect: [{ field: 'networking.advertisedAddress', message: 'must not be 0.0.0.0 or ::' }] },
  { name: 'ZoneIngress: port missing fails', kind: 'ZoneIngress', set: { 'networking.port': undefined }, expect: [{ field: 'networking.port', message: PORT }] },
  { name: 'ZoneIngress: advertisedPort out of range fails', kind: 'ZoneIngress', set: { 'networking.advertisedPort': 99999 }, expect: [{ field: 'networking.advertisedPort', message: PORT }] },
  { name: 'ZoneIngress: available service without kuma.io/service fails', kind: 'ZoneIngress', set: { availableServices: [{ mesh: 'default', tags: { version: 'v1' } }] }, expect: [{ field: 'availableServices[0].tags', message: 'mandatory tag "kuma.io/service" is missing' }] },
  { name: 'ZoneIngress: tag value with invalid characters fails', kind: 'ZoneIngress', set: { availableServices: [{ mesh: 'default', tags: { 'kuma.io/service': 'a b' } }] }, expect: [{ field: 'availableServices[0].tags["kuma.io/service"]', message: 'tag value must consist of alphanumeric characters, dots, dashes and underscores' }] },
  { name: 'ZoneIngress: empty mesh of an available service fails', kind: 'ZoneIngress', set: { availableServices: [{ mesh: '', tags: { 'kuma.io/service': 'a' } }] }, expect: [{ field: 'availableServices[0].mesh', message: 'cannot be empty' }] },

  // ExternalService
  { name: 'ExternalService: missing networking fails', kind: 'ExternalService', set: { networking: undefined }, expect: [{ field: 'networking', message: 'should have networking' }] },
  { name: 'ExternalService: empty address fails', kind: 'ExternalService', set: { 'networking.address': '' }, expect: [{ field: 'networking.address', message: "address can't be empty" }] },
  { name: 'ExternalService: address without port fails', kind: 'ExternalService', set: { 'networking.address': 'httpbin.org' }, expect: [{ field: 'networking.address', message: 'has to be in format of HOST:PORT' }] },
  { name: 'ExternalService: address with port 0 fails', kind: 'ExternalService', set: { 'networking.address': 'httpbin.org:0' }, expect: [{ field: 'networking.address', message: PORT }] },
  { name: 'ExternalService: invalid host fails', kind: 'ExternalService', set: { 'networking.address': 'http bin:80' }, expect: [{ field: 'networking.address', message: 'address has to be a valid IP address or a domain name' }] },
  { name: 'ExternalService: bracketed IPv6 address passes', kind: 'ExternalService', set: { 'networking.address': '[fd00::1]:443' }, expect: [] },
  { name: 'ExternalService: kuma.io/service tag is required', kind: 'ExternalService', set: { tags: { version: 'v1' } }, expect: [{ field: 'tags', message: 'mandatory tag "kuma.io/service" is missing' }] },
  { name: 'ExternalService: invalid tag name fails', kind: 'ExternalService', set: { tags: { 'kuma.io/service': 'a', 'bad key': 'x' } }, expect: [{ field: 'tags["bad key"]', message: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores' }] },
  { name: 'ExternalService: empty tag value fails', kind: 'ExternalService', set: { tags: { 'kuma.io/service': '' } }, expect: [{ field: 'tags["kuma.io/service"]', message: 'tag value must be non-empty' }] },
  { name: 'ExternalService: known protocol passes', kind: 'ExternalService', set: { tags: { 'kuma.io/service': 'a', 'kuma.io/protocol': 'grpc' } }, expect: [] },
  { name: 'ExternalService: unknown protocol fails', kind: 'ExternalService', set: { tags: { 'kuma.io/service': 'a', 'kuma.io/protocol': 'smtp' } }, expect: [{ field: 'tags["kuma.io/protocol"]', message: 'tag "kuma.io/protocol" has an invalid value "smtp". Allowed values: tcp, http, http2, grpc, kafka, tls, mysql' }] },
  { name: 'ExternalService: service equal to the host fails', kind: 'ExternalService', set: { tags: { 'kuma.io/service': 'httpbin.org' } }, expect: [{ field: 'tags["kuma.io/service"]', message: 'cannot be the same as networking.address' }] },
  { name: 'ExternalService: empty serverName fails', kind: 'ExternalService', set: { 'networking.tls.serverName': '' }, expect: [{ field: 'networking.tls.serverName', message: 'cannot be empty' }] },
  { name: 'ExternalService: empty data source fails', kind: 'ExternalService', set: { 'networking.tls.caCert': {} }, expect: [{ field: 'networking.tls.caCert', message: 'data source cannot be empty' }] },
  { name: 'ExternalService: two data sources fail', kind: 'ExternalService', set: { 'networking.tls.caCert': { secret: 'a', file: '/b' } }, expect: [{ field: 'networking.tls.caCert', message: 'only one of secret, file, inline or inlineString can be set (found secret, file)' }] },
  { name: 'ExternalService: client cert and key together pass', kind: 'ExternalService', set: { 'networking.tls.clientCert': { secret: 'c' }, 'networking.tls.clientKey': { secret: 'k' } }, expect: [] },
  { name: 'ExternalService: inline PEM certificates and key pass', kind: 'ExternalService', set: { 'networking.tls.caCert': { inlineString: CA_PEM }, 'networking.tls.clientCert': { inline: Buffer.from(CLIENT_CERT).toString('base64') }, 'networking.tls.clientKey': { inlineString: CLIENT_KEY } }, expect: [] },
  { name: 'ExternalService: a garbage inline caCert fails (it used to freeze every egress)', kind: 'ExternalService', set: { 'networking.tls.caCert': { inlineString: 'xyz' } }, expect: [{ field: 'networking.tls.caCert.inlineString', message: 'is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)' }] },
  { name: 'ExternalService: a corrupt inline clientCert fails', kind: 'ExternalService', set: { 'networking.tls.clientCert': { inline: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64') }, 'networking.tls.clientKey': { inlineString: CLIENT_KEY } }, expect: [{ field: 'networking.tls.clientCert.inline', message: 'PEM block 1 is not a valid X.509 certificate' }] },
  { name: 'ExternalService: a key as clientCert fails', kind: 'ExternalService', set: { 'networking.tls.clientCert': { inlineString: CLIENT_KEY }, 'networking.tls.clientKey': { inlineString: CLIENT_KEY } }, expect: [{ field: 'networking.tls.clientCert.inlineString', message: 'PEM block 1 is a PRIVATE KEY, not a CERTIFICATE' }] },
  { name: 'ExternalService: a certificate as clientKey fails', kind: 'ExternalService', set: { 'networking.tls.clientCert': { inlineString: CLIENT_CERT }, 'networking.tls.clientKey': { inlineString: CLIENT_CERT } }, expect: [{ field: 'networking.tls.clientKey.inlineString', message: 'is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)' }] },
  { name: 'ExternalService: client cert without key fails', kind: 'ExternalService', set: { 'networking.tls.clientCert': { secret: 'c' } }, expect: [{ field: 'networking.tls.clientKey', message: 'has to be defined with clientCert' }] },

  // GlobalSecret
  { name: 'GlobalSecret: data is required', kind: 'GlobalSecret', set: { data: undefined }, expect: [{ field: 'data', message: 'cannot be empty' }] },
  { name: 'GlobalSecret: data must be base64', kind: 'GlobalSecret', set: { data: 'not base64!' }, expect: [{ field: 'data', message: 'must be base64 encoded' }] },

  // Mesh: mTLS
  { name: 'Mesh: at most one mTLS backend', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin' }, { name: 'ca-2', type: 'builtin' }] }, expect: [{ field: 'mtls.backends', message: 'cannot have more than 1 backends' }] },
  {
    name: 'Mesh: duplicate backend names',
    kind: 'Mesh',
    set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin' }, { name: 'ca-1', type: 'builtin' }] },
    expect: [
      { field: 'mtls.backends', message: 'cannot have more than 1 backends' },
      { field: 'mtls.backends[1].name', message: '"ca-1" name is already used for another backend' },
    ],
  },
  { name: 'Mesh: enabledBackend must name a backend', kind: 'Mesh', set: { 'mtls.enabledBackend': 'ca-2' }, expect: [{ field: 'mtls.enabledBackend', message: 'has to be set to one of the backends in the mesh' }] },
  { name: 'Mesh: zoneEgress without enabledBackend fails', kind: 'Mesh', set: { 'mtls.enabledBackend': undefined }, expect: [{ field: 'mtls', message: 'has to be set when zoneEgress enabled' }] },
  { name: 'Mesh: zoneEgress without mtls fails', kind: 'Mesh', set: { mtls: undefined }, expect: [{ field: 'mtls', message: 'has to be set when zoneEgress enabled' }] },
  { name: 'Mesh: no mtls and no zoneEgress passes', kind: 'Mesh', set: { mtls: undefined, routing: undefined }, expect: [] },
  { name: 'Mesh: dpCert expiration 2y passes', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '2y' } } }] }, expect: [] },
  { name: 'Mesh: dpCert expiration "0" passes', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '0' } } }] }, expect: [] },
  { name: 'Mesh: dpCert expiration 1d2h fails', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d2h' } } }] }, expect: [{ field: 'mtls.backends[0].dpCert.rotation.expiration', message: 'has to be a valid format' }] },
  { name: 'Mesh: builtin backend name must be a DNS label', kind: 'Mesh', set: { 'mtls.enabledBackend': 'CA_1', 'mtls.backends': [{ name: 'CA_1', type: 'builtin' }] }, expect: [{ field: 'mtls.backends[0].name', message: '"CA_1" name must be valid dns name' }] },
  { name: 'Mesh: provided backend needs cert and key', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'provided', conf: { cert: { secret: 'c' } } }] }, expect: [{ field: 'mtls.backends[0].conf.key', message: 'has to be defined' }] },
  { name: 'Mesh: provided backend with cert and key passes', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'provided', conf: { cert: { secret: 'c' }, key: { inlineString: 'k' } } }] }, expect: [] },
  { name: 'Mesh: unknown CA type fails', kind: 'Mesh', set: { 'mtls.backends': [{ name: 'ca-1', type: 'vault' }] }, expect: [{ field: 'mtls.backends[0].type', message: 'unknown backend type. Available backends: "builtin", "provided"' }] },

  // Mesh: logging
  { name: 'Mesh: tcp logging with HOST:PORT passes', kind: 'Mesh', set: { logging: { defaultBackend: 'tcp', backends: [{ name: 'tcp', type: 'tcp', conf: { address: 'logstash:5000' } }] } }, expect: [] },
  { name: 'Mesh: tcp logging without port fails', kind: 'Mesh', set: { logging: { backends: [{ name: 'tcp', type: 'tcp', conf: { address: 'logstash' } }] } }, expect: [{ field: 'logging.backends[0].conf.address', message: 'has to be in format of HOST:PORT' }] },
  { name: 'Mesh: file logging needs a path', kind: 'Mesh', set: { logging: { backends: [{ name: 'file', type: 'file', conf: { path: '' } }] } }, expect: [{ field: 'logging.backends[0].conf.path', message: 'cannot be empty' }] },
  { name: 'Mesh: unknown logging type fails', kind: 'Mesh', set: { logging: { backends: [{ name: 'x', type: 'syslog' }] } }, expect: [{ field: 'logging.backends[0].type', message: 'unknown backend type. Available backends: "tcp", "file"' }] },
  { name: 'Mesh: logging defaultBackend must exist', kind: 'Mesh', set: { logging: { defaultBackend: 'nope', backends: [{ name: 'f', type: 'file', conf: { path: '/tmp/log' } }] } }, expect: [{ field: 'logging.defaultBackend', message: 'has to be set to one of the logging backend in mesh' }] },
  {
    name: 'Mesh: duplicate logging backend names',
    kind: 'Mesh',
    set: { logging: { backends: [{ name: 'f', type: 'file', conf: { path: '/a' } }, { name: 'f', type: 'file', conf: { path: '/b' } }] } },
    expect: [{ field: 'logging.backends[1].name', message: '"f" name is already used for another backend' }],
  },

  // Mesh: tracing
  { name: 'Mesh: zipkin with explicit port passes', kind: 'Mesh', set: { tracing: { defaultBackend: 'z', backends: [{ name: 'z', type: 'zipkin', sampling: 50, conf: { url: 'http://zipkin:9411/api/v2/spans', apiVersion: 'httpJson' } }] } }, expect: [] },
  { name: 'Mesh: zipkin without port fails', kind: 'Mesh', set: { tracing: { backends: [{ name: 'z', type: 'zipkin', conf: { url: 'http://zipkin/api' } }] } }, expect: [{ field: 'tracing.backends[0].conf.url', message: 'port has to be explicitly specified' }] },
  { name: 'Mesh: zipkin invalid URL fails', kind: 'Mesh', set: { tracing: { backends: [{ name: 'z', type: 'zipkin', conf: { url: 'not a url' } }] } }, expect: [{ field: 'tracing.backends[0].conf.url', message: 'invalid URL' }] },
  { name: 'Mesh: zipkin apiVersion must be known', kind: 'Mesh', set: { tracing: { backends: [{ name: 'z', type: 'zipkin', conf: { url: 'http://z:9411', apiVersion: 'v3' } }] } }, expect: [{ field: 'tracing.backends[0].conf.apiVersion', message: 'has invalid value. Allowed values: httpJsonV1, httpJson, httpProto' }] },
  { name: 'Mesh: sampling above 100 fails', kind: 'Mesh', set: { tracing: { backends: [{ name: 'z', type: 'zipkin', sampling: 100.5, conf: { url: 'http://z:9411' } }] } }, expect: [{ field: 'tracing.backends[0].sampling', message: 'has to be in [0.0 - 100.0] range' }] },
  { name: 'Mesh: datadog needs an address', kind: 'Mesh', set: { tracing: { backends: [{ name: 'd', type: 'datadog', conf: { port: 8126 } }] } }, expect: [{ field: 'tracing.backends[0].conf.address', message: 'cannot be empty' }] },
  { name: 'Mesh: datadog with address passes', kind: 'Mesh', set: { tracing: { backends: [{ name: 'd', type: 'datadog', conf: { address: 'datadog', port: 8126 } }] } }, expect: [] },
  { name: 'Mesh: unknown tracing type fails', kind: 'Mesh', set: { tracing: { backends: [{ name: 'j', type: 'jaeger' }] } }, expect: [{ field: 'tracing.backends[0].type', message: 'unknown backend type. Available backends: "zipkin", "datadog"' }] },
  { name: 'Mesh: tracing defaultBackend must exist', kind: 'Mesh', set: { tracing: { defaultBackend: 'x', backends: [] } }, expect: [{ field: 'tracing.defaultBackend', message: 'has to be set to one of the tracing backend in mesh' }] },

  // Mesh: metrics
  { name: 'Mesh: prometheus passes', kind: 'Mesh', set: { metrics: { enabledBackend: 'p', backends: [{ name: 'p', type: 'prometheus', conf: { port: 5670, path: '/metrics', envoy: { filterRegex: '^http\\.' } } }] } }, expect: [] },
  { name: 'Mesh: unknown metrics type fails', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'statsd' }] } }, expect: [{ field: 'metrics.backends[0].type', message: 'unknown backend type. Available backends: "prometheus"' }] },
  { name: 'Mesh: metrics enabledBackend must exist', kind: 'Mesh', set: { metrics: { enabledBackend: 'x', backends: [{ name: 'p', type: 'prometheus' }] } }, expect: [{ field: 'metrics.enabledBackend', message: 'has to be set to one of the backends in the mesh' }] },
  { name: 'Mesh: skipMTLS and tls together fail', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { skipMTLS: true, tls: { mode: 'providedTLS' } } }] } }, expect: [{ field: 'metrics.backends[0].conf', message: 'skipMTLS and tls configuration cannot be defined together' }] },
  { name: 'Mesh: skipMTLS and tls saying the same pass', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { skipMTLS: true, tls: { mode: 'disabled' } } }] } }, expect: [] },
  { name: 'Mesh: invalid filterRegex fails', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { envoy: { filterRegex: '(unclosed' } } }] } }, expect: [{ field: 'metrics.backends[0].conf.envoy.filterRegex', message: "provided regexp isn't correct: /(unclosed/: Unterminated group" }] },
  { name: 'Mesh: RE2-only filterRegex syntax passes', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { envoy: { filterRegex: '(?i)^(?P<x>cluster)' } } }] } }, expect: [] },
  { name: 'Mesh: lookahead in filterRegex fails', kind: 'Mesh', set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { envoy: { filterRegex: 'a(?=b)' } } }] } }, expect: [{ field: 'metrics.backends[0].conf.envoy.filterRegex', message: "provided regexp isn't correct: lookaround assertions are not supported (Envoy uses RE2)" }] },
  {
    name: 'Mesh: aggregate names must be unique',
    kind: 'Mesh',
    set: { metrics: { backends: [{ name: 'p', type: 'prometheus', conf: { aggregate: [{ name: 'app', port: 8080 }, { name: 'app', port: 8081 }] } }] } },
    expect: [{ field: 'metrics.backends[0].conf.aggregate[1].name', message: 'duplicate entry: app, values have to be unique' }],
  },

  // Mesh: constraints
  { name: 'Mesh: constraint with tags passes', kind: 'Mesh', set: { constraints: { dataplaneProxy: { requirements: [{ tags: { 'kuma.io/zone': '*' } }], restrictions: [{ tags: { team: 'legacy' } }] } } }, expect: [] },
  { name: 'Mesh: constraint needs at least one tag', kind: 'Mesh', set: { constraints: { dataplaneProxy: { requirements: [{ tags: {} }] } } }, expect: [{ field: 'constraints.dataplaneProxy.requirements[0].tags', message: 'must have at least one tag' }] },
  { name: 'Mesh: constraint tag value with invalid characters fails', kind: 'Mesh', set: { constraints: { dataplaneProxy: { restrictions: [{ tags: { team: 'a:b' } }] } } }, expect: [{ field: 'constraints.dataplaneProxy.restrictions[0].tags["team"]', message: 'tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"' }] },
  { name: 'Mesh: constraint tag name with invalid characters fails', kind: 'Mesh', set: { constraints: { dataplaneProxy: { requirements: [{ tags: { 'a b': 'x' } }] } } }, expect: [{ field: 'constraints.dataplaneProxy.requirements[0].tags["a b"]', message: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores' }] },
  { name: 'Mesh: constraint empty tag value fails', kind: 'Mesh', set: { constraints: { dataplaneProxy: { requirements: [{ tags: { team: '' } }] } } }, expect: [{ field: 'constraints.dataplaneProxy.requirements[0].tags["team"]', message: 'tag value must be non-empty' }] },

  // Schema shapes and --strict
  { name: 'schema: unknown fields pass by default', kind: 'ZoneEgress', set: { 'networking.futureField': 1 }, expect: [] },
  { name: 'schema: unknown fields fail with strict', kind: 'ZoneEgress', strict: true, set: { 'networking.futureField': 1 }, expect: [{ field: 'networking.futureField', message: 'unknown field (not allowed with --strict)' }] },
  { name: 'schema: strict accepts every documented field', kind: 'Mesh', strict: true, set: { 'mtls.skipValidation': false, networking: { outbound: { passthrough: true } }, meshServices: { mode: 'Exclusive' }, skipCreatingInitialPolicies: ['*'] }, expect: [] },
  { name: 'schema: strict checks conf of a builtin CA', kind: 'Mesh', strict: true, set: { 'mtls.backends': [{ name: 'ca-1', type: 'builtin', conf: { caCert: { RSAbits: 2048, bogus: 1 } } }] }, expect: [{ field: 'mtls.backends[0].conf.caCert.bogus', message: 'unknown field (not allowed with --strict)' }] },
  { name: 'schema: enum values are checked', kind: 'Mesh', set: { meshServices: { mode: 'Sometimes' } }, expect: [{ field: 'meshServices.mode', message: 'has invalid value. Allowed values: Disabled, Everywhere, ReachableBackends, Exclusive' }] },
  { name: 'schema: boolean type is checked', kind: 'Mesh', set: { 'routing.zoneEgress': 'yes' }, expect: [{ field: 'routing.zoneEgress', message: 'must be a boolean' }] },
];

describe('semantic rules (validateResource)', () => {
  for (const row of rows) {
    test(row.name, () => {
      const doc = apply(base[row.kind], row.set);
      assert.deepEqual(validateResource(doc, { strict: row.strict }), row.expect);
    });
  }
});

describe('documents that are not resources', () => {
  test('an unknown type is a violation on field type', () => {
    assert.deepEqual(validateResource({ type: 'Foo', name: 'x' }), [{ field: 'type', message: 'unknown type "Foo". Supported types: Mesh, ZoneEgress, ZoneIngress, ExternalService, GlobalSecret, MeshTrafficPermission, MeshAccessLog' }]);
  });
  test('a missing type is a violation on field type', () => {
    assert.deepEqual(validateResource({ name: 'x' }), [{ field: 'type', message: 'cannot be empty' }]);
  });
  test('a read-only kind cannot be validated', () => {
    assert.match(validateResource({ type: 'ZoneEgressInsight', name: 'x' })[0].message, /^ZoneEgressInsight is read-only/);
  });
  test('a scalar or list document is rejected without throwing', () => {
    assert.deepEqual(validateResource('hello'), [{ field: '', message: 'must be an object with type and name (got a string)' }]);
    assert.deepEqual(validateResource([1]), [{ field: '', message: 'must be an object with type and name (got a list)' }]);
    assert.deepEqual(validateResource(null), [{ field: '', message: 'must be an object with type and name (got an empty document)' }]);
  });
});

describe('robustness', () => {
  test('never throws, whatever the shape of the fields (property)', async () => {
    const fc = (await import('fast-check')).default;
    const paths = ['networking', 'networking.port', 'networking.address', 'networking.admin', 'networking.tls', 'networking.tls.caCert', 'mtls', 'mtls.backends', 'mtls.enabledBackend', 'logging', 'logging.backends', 'tracing.backends', 'metrics.backends', 'constraints.dataplaneProxy', 'tags', 'availableServices', 'routing', 'data', 'name', 'mesh'];
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(base)), fc.constantFrom(...paths), fc.jsonValue(), fc.boolean(), (kind, path, value, strict) => {
        const doc = apply(base[kind], { [path]: value });
        const violations = validateResource(doc, { strict });
        assert.ok(Array.isArray(violations));
        for (const v of violations) assert.equal(typeof v.message, 'string');
      }),
      { numRuns: 2000 },
    );
  });
});
