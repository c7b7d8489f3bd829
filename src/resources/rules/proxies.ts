/**
 * Rules of the proxy kinds and their neighbours: ZoneEgress, ZoneIngress, ExternalService,
 * GlobalSecret. Field paths are the real ones (`networking.address`), not Kuma's
 * (`networking.address.address`).
 */
import {
  checkDataSource,
  checkHostPort,
  checkPort,
  checkProxyAddress,
  checkServiceTags,
  num,
  obj,
  arr,
  str,
  tagField,
  splitHostPort,

  PROTOCOL_TAG,
  SERVICE_TAG,
  WILDCARD_ADDRESSES,
  type Obj,
  type Violations,
} from './common.js';
import { pemProblem } from '../pem.js';

// Addresses on which the admin listener (always on loopback) would collide with the main one.
const ADMIN_CLASH = new Set(['127.0.0.1', ...WILDCARD_ADDRESSES]);

/** The admin port (loopback) must differ from the listener port when the listener covers loopback. */
function checkAdminPort(v: Violations, networking: Obj): void {
  const admin = obj(networking.admin);
  if (!admin) return;
  const address = str(networking.address) ?? '';
  const adminPort = num(admin.port);
  if (ADMIN_CLASH.has(address) && adminPort !== undefined && adminPort !== 0 && adminPort === num(networking.port)) {
    v.add('networking.admin.port', 'must differ from port');
  }
}

/** ZoneEgress, in the order: admin port, address, port. */
export function checkZoneEgress(v: Violations, doc: Obj): void {
  const networking = obj(doc.networking) ?? {};
  checkAdminPort(v, networking);
  checkProxyAddress(v, 'networking.address', networking.address);
  checkPort(v, 'networking.port', networking.port);
}

/** ZoneIngress: advertised address/port pairing, addresses, ports, and the tags of its available services. */
export function checkZoneIngress(v: Violations, doc: Obj): void {
  const networking = obj(doc.networking) ?? {};
  const advertisedAddress = str(networking.advertisedAddress) ?? '';
  const advertisedPort = num(networking.advertisedPort) ?? 0;
  if (advertisedAddress === '' && advertisedPort !== 0) v.add('networking.advertisedAddress', 'has to be defined with advertisedPort');
  if (advertisedPort === 0 && advertisedAddress !== '') v.add('networking.advertisedPort', 'has to be defined with advertisedAddress');
  checkAdminPort(v, networking);
  checkProxyAddress(v, 'networking.address', networking.address);
  checkProxyAddress(v, 'networking.advertisedAddress', networking.advertisedAddress);
  checkPort(v, 'networking.port', networking.port);
  if (advertisedPort !== 0) checkPort(v, 'networking.advertisedPort', networking.advertisedPort);
  arr(doc.availableServices).forEach((item, i) => {
    const svc = obj(item);
    if (!svc) return;
    const field = `availableServices[${i}]`;
    checkServiceTags(v, `${field}.tags`, svc.tags, { requireService: true });
    const mesh = str(svc.mesh);
    if (mesh === '') v.add(`${field}.mesh`, 'cannot be empty');
  });
}

// Kuma's ParseProtocol (core_meta): every protocol it knows is valid on an ExternalService.
const PROTOCOLS = ['tcp', 'http', 'http2', 'grpc', 'kafka', 'tls', 'mysql'];

/** ExternalService: `networking.address` as HOST:PORT, TLS data sources, and its tags (kuma.io/service required). */
export function checkExternalService(v: Violations, doc: Obj): void {
  const networking = obj(doc.networking);
  if (!networking) {
    if (doc.networking === undefined || doc.networking === null) v.add('networking', 'should have networking');
  } else {
    const address = str(networking.address);
    if (address === '') v.add('networking.address', "address can't be empty");
    else if (address !== undefined) checkHostPort(v, 'networking.address', address);
    checkTls(v, obj(networking.tls));
  }
  checkServiceTags(v, 'tags', doc.tags, { requireService: true });
  const tags = obj(doc.tags) ?? {};
  const protocol = tags[PROTOCOL_TAG];
  if (typeof protocol === 'string' && protocol !== '' && !PROTOCOLS.includes(protocol.toLowerCase())) {
    v.add(tagField('tags', PROTOCOL_TAG), `tag "${PROTOCOL_TAG}" has an invalid value "${protocol}". Allowed values: ${PROTOCOLS.join(', ')}`);
  }
  const service = tags[SERVICE_TAG];
  const host = typeof networking?.address === 'string' ? splitHostPort(networking.address)?.host : undefined;
  if (typeof service === 'string' && service !== '' && service === host) v.add(tagField('tags', SERVICE_TAG), 'cannot be the same as networking.address');
}

function checkTls(v: Violations, tls: Obj | undefined): void {
  if (!tls) return;
  if (tls.serverName === '') v.add('networking.tls.serverName', 'cannot be empty');
  for (const k of ['caCert', 'clientCert', 'clientKey']) {
    checkDataSource(v, `networking.tls.${k}`, tls[k]);
    checkInlinePem(v, `networking.tls.${k}`, tls[k], k === 'clientKey' ? 'private-key' : 'certificate');
  }
  // An improvement over Kuma, which accepts half a client identity and fails at connection time.
  if (tls.clientCert !== undefined && tls.clientKey === undefined) v.add('networking.tls.clientKey', 'has to be defined with clientCert');
  if (tls.clientKey !== undefined && tls.clientCert === undefined) v.add('networking.tls.clientCert', 'has to be defined with clientKey');
}

/**
 * Inline TLS data is checked at write time (an improvement over Kuma, which accepts garbage and
 * fails at connection time). Secrets and files are checked when the snapshot is generated.
 */
function checkInlinePem(v: Violations, field: string, value: unknown, kind: 'certificate' | 'private-key'): void {
  const ds = obj(value);
  if (!ds) return;
  let text: string | undefined;
  let at = field;
  if (typeof ds.inlineString === 'string' && ds.inlineString !== '') {
    text = ds.inlineString;
    at = `${field}.inlineString`;
  } else if (typeof ds.inline === 'string' && ds.inline !== '') {
    at = `${field}.inline`;
    if (!BASE64.test(ds.inline.replace(/\s+/g, ''))) return v.add(at, 'must be base64 encoded');
    text = Buffer.from(ds.inline, 'base64').toString('utf8');
  }
  if (text === undefined) return;
  const problem = pemProblem(text, kind);
  if (problem) v.add(at, problem);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** GlobalSecret: `data` is non-empty base64. */
export function checkGlobalSecret(v: Violations, doc: Obj): void {
  const data = str(doc.data);
  if (data === undefined) return;
  if (data === '' && doc.data !== undefined) v.add('data', 'cannot be empty');
  else if (data !== '' && !BASE64.test(data.replace(/\s+/g, ''))) v.add('data', 'must be base64 encoded');
}

