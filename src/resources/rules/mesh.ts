/**
 * Mesh rules: mTLS backends, routing through the ZoneEgress and dataplane constraints here;
 * logging, tracing and metrics backends in mesh-observability.ts. Order follows Kuma's validator
 * (mtls, logging, tracing, metrics, constraints, zoneEgress).
 */
import { arr, checkDataSource, isDnsName, checkSelectorTags, checkUniqueNames, obj, str, type Obj, type Violations } from './common.js';
import { checkLogging, checkMetrics, checkTracing } from './mesh-observability.js';

const MAX_MTLS_BACKENDS = 1;
const CA_TYPES = ['builtin', 'provided'];
// Kuma's ParseDuration for certificate lifetimes: one number and one unit, or "0".
const CERT_DURATION = /^(\d+)(y|w|d|h|m|s|ms)$/;
const MAX_BACKEND_NAME_LENGTH = 255;

/** All Mesh rules; appends to `v` in Kuma's order. */
export function checkMesh(v: Violations, doc: Obj): void {
  const mtls = obj(doc.mtls);
  if (mtls) checkMtls(v, mtls, str(doc.name) ?? '');
  const logging = obj(doc.logging);
  if (logging) checkLogging(v, logging);
  const tracing = obj(doc.tracing);
  if (tracing) checkTracing(v, tracing);
  const metrics = obj(doc.metrics);
  if (metrics) checkMetrics(v, metrics);
  checkConstraints(v, obj(doc.constraints));
  // The egress routes by SNI; without mTLS the SNI is the client's word and anyone can reach anything.
  if (obj(doc.routing)?.zoneEgress === true && !str(mtls?.enabledBackend)) v.add('mtls', 'has to be set when zoneEgress enabled');
}

function isValidCertDuration(s: string): boolean {
  return s === '0' || CERT_DURATION.test(s);
}

function checkMtls(v: Violations, mtls: Obj, mesh: string): void {
  const backends = arr(mtls.backends);
  if (backends.length > MAX_MTLS_BACKENDS) v.add('mtls.backends', `cannot have more than ${MAX_MTLS_BACKENDS} backends`);
  const names = checkUniqueNames(v, 'mtls.backends', backends);
  backends.forEach((item, i) => {
    const backend = obj(item);
    if (backend) checkCaBackend(v, `mtls.backends[${i}]`, backend, mesh);
  });
  const enabled = str(mtls.enabledBackend);
  if (enabled && !names.has(enabled)) v.add('mtls.enabledBackend', 'has to be set to one of the backends in the mesh');
}

function checkCaBackend(v: Violations, field: string, backend: Obj, mesh: string): void {
  const type = str(backend.type);
  const name = str(backend.name);
  if (name === '') v.add(`${field}.name`, 'cannot be empty');
  if (type !== undefined && !CA_TYPES.includes(type)) {
    v.add(`${field}.type`, `unknown backend type. Available backends: ${CA_TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  // The builtin CA names its secrets after the backend: Kuma's builtin manager requires
  // `<mesh>.ca-builtin-cert-<name>` to be a lower-case DNS name of at most 255 characters.
  if (type === 'builtin' && name) {
    const secret = `${mesh}.ca-builtin-cert-${name}`;
    if (secret.length > MAX_BACKEND_NAME_LENGTH) v.add(`${field}.name`, `Backend name is too long. Max length: ${MAX_BACKEND_NAME_LENGTH}`);
    if (!isDnsName(secret) || secret !== secret.toLowerCase()) v.add(`${field}.name`, `${JSON.stringify(name)} name must be valid dns name`);
  }
  const rotation = obj(obj(backend.dpCert)?.rotation);
  const expiration = str(rotation?.expiration);
  if (rotation && expiration !== undefined && !isValidCertDuration(expiration)) v.add(`${field}.dpCert.rotation.expiration`, 'has to be a valid format');
  const conf = obj(backend.conf);
  if (type === 'builtin' && conf) {
    const caExpiration = str(obj(conf.caCert)?.expiration);
    if (caExpiration && !isValidCertDuration(caExpiration)) v.add(`${field}.conf.caCert.expiration`, 'has to be a valid format');
  }
  if (type === 'provided') {
    for (const k of ['cert', 'key']) {
      if (conf?.[k] === undefined) v.add(`${field}.conf.${k}`, 'has to be defined');
      else checkDataSource(v, `${field}.conf.${k}`, conf[k]);
    }
  }
}

function checkConstraints(v: Violations, constraints: Obj | undefined): void {
  const dpp = obj(constraints?.dataplaneProxy);
  if (!dpp) return;
  for (const list of ['requirements', 'restrictions']) {
    arr(dpp[list]).forEach((item, i) => {
      const rule = obj(item);
      if (rule) checkSelectorTags(v, `constraints.dataplaneProxy.${list}[${i}].tags`, rule.tags);
    });
  }
}
