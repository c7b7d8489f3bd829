/**
 * Kuma 2.14's validation of the targetRef policies zonectl knows: MeshTrafficPermission and
 * MeshAccessLog (pkg/plugins/policies/<policy>/api/v1alpha1/validator.go and
 * pkg/core/resources/apis/mesh/validators.go ValidateTargetRef/ValidateMatch), with Kuma's
 * messages. Fields are the real paths (`spec.from[0].targetRef.kind`).
 */
import { arr, checkServiceTags, obj, str, type Obj, type Violations } from './common.js';

type Kind = 'Mesh' | 'MeshSubset' | 'MeshService' | 'MeshServiceSubset' | 'Dataplane' | 'MeshGateway' | 'MeshExternalService' | 'MeshMultiZoneService' | 'MeshHTTPRoute';

const NAME_CHARS = /^[0-9a-z\-_.]*$/;
// Kubernetes' IsDNS1123Subdomain, which Kuma applies to SNI values.
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const isSet = (x: unknown): boolean => (typeof x === 'string' ? x !== '' : Array.isArray(x) ? x.length > 0 : obj(x) ? Object.keys(obj(x)!).length > 0 : false);

/** Kuma's ValidateTargetRef for the kinds a policy supports at this position. */
export function checkTargetRef(v: Violations, field: string, value: unknown, supported: readonly Kind[]): void {
  const ref = obj(value);
  if (!ref) return;
  const kind = str(ref.kind);
  if (kind === undefined) return;
  if (kind === '') return v.add(`${field}.kind`, 'must be defined');
  if (!supported.includes(kind as Kind)) return v.add(`${field}.kind`, `value '${kind}' is not supported`);
  const notSet = (f: string) => {
    if (isSet(ref[f])) v.add(`${field}.${f}`, `must not be set with kind ${kind}`);
  };
  const name = str(ref.name) ?? '';
  const checkName = () => {
    if (!NAME_CHARS.test(name)) v.add(`${field}.name`, "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.");
  };
  switch (kind) {
    case 'Mesh':
      if (name !== '') v.add(`${field}.name`, `using name with kind ${kind} is not yet supported`);
      ['mesh', 'tags', 'labels', 'namespace', 'sectionName'].forEach(notSet);
      if (Array.isArray(ref.proxyTypes) && ref.proxyTypes.length === 0) v.add(`${field}.proxyTypes`, 'must not be empty');
      return;
    case 'MeshSubset':
      ['name', 'mesh'].forEach(notSet);
      checkServiceTags(v, `${field}.tags`, ref.tags, { requireService: false });
      ['labels', 'namespace', 'sectionName'].forEach(notSet);
      return;
    case 'MeshService':
    case 'MeshExternalService':
    case 'MeshHTTPRoute':
      checkName();
      ['mesh', 'tags', 'proxyTypes'].forEach(notSet);
      if (!isSet(ref.labels) && name === '') v.add(field, `name or labels must be set when kind is ${kind}`);
      if (isSet(ref.labels) && (name !== '' || isSet(ref.namespace))) v.add(`${field}.labels`, 'either labels or name and namespace must be specified');
      return;
    case 'MeshServiceSubset':
    case 'MeshGateway':
      if (name === '') v.add(`${field}.name`, `must be set when kind is ${kind}`);
      checkName();
      ['mesh', 'proxyTypes'].forEach(notSet);
      checkServiceTags(v, `${field}.tags`, ref.tags, { requireService: false });
      ['labels', 'namespace', 'sectionName'].forEach(notSet);
      return;
    case 'Dataplane':
      ['tags', 'mesh', 'proxyTypes'].forEach(notSet);
      if (isSet(ref.labels) && (name !== '' || isSet(ref.namespace))) v.add(`${field}.labels`, 'either labels or name and namespace must be specified');
      return;
  }
}

/** Kuma's ValidateMatch: a SPIFFE ID that parses, an SNI of type Exact with a DNS-1123 value. */
export function checkMatches(v: Violations, field: string, value: unknown): void {
  arr(value).forEach((m, i) => {
    const match = obj(m);
    if (!match) return;
    const at = `${field}[${i}]`;
    const spiffe = obj(match.spiffeID);
    if (spiffe && typeof spiffe.value === 'string' && !validSpiffeId(spiffe.value)) {
      v.add(`${at}.spiffeID`, `must be a valid Spiffe ID: ${spiffeProblem(spiffe.value)}`);
    }
    const sni = obj(match.sni);
    if (sni) {
      const type = str(sni.type);
      if (type === '') v.add(`${at}.sni.type`, 'must be set');
      else if (type !== undefined && type !== 'Exact') v.add(`${at}.sni.type`, `unrecognized type ${JSON.stringify(type)}, supported values are: Exact`);
      const val = str(sni.value);
      if (val === '') v.add(`${at}.sni.value`, 'must be set');
      else if (val !== undefined && (val.length > 253 || !DNS1123.test(val))) {
        v.add(`${at}.sni.value`, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
      }
    }
  });
}

function spiffeProblem(s: string): string {
  if (!s.startsWith('spiffe://')) return 'scheme is missing or invalid';
  const rest = s.slice('spiffe://'.length);
  if (rest === '' || rest.startsWith('/')) return 'trust domain is missing';
  return 'path segment characters are limited to letters, numbers, dots, dashes, and underscores';
}

/** spiffe://<trust-domain>[/<path>]: the go-spiffe rules, as Kuma parses them. */
export function validSpiffeId(s: string): boolean {
  const m = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)$/.exec(s);
  if (!m) return false;
  return !m[2].split('/').some((seg) => seg === '.' || seg === '..');
}

const MTP_TOP: Kind[] = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset', 'Dataplane'];
const MTP_FROM: Kind[] = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'];

/** MeshTrafficPermission: Kuma's validator.go, then the deprecations are left to warnings. */
export function checkMeshTrafficPermission(v: Violations, doc: Obj): void {
  const spec = obj(doc.spec);
  if (!spec) return;
  checkTargetRef(v, 'spec.targetRef', spec.targetRef, MTP_TOP);
  const from = arr(spec.from);
  const rules = arr(spec.rules);
  if (from.length > 0 && rules.length > 0) v.add('spec', "field 'from' must be empty when 'rules' is defined");
  if (from.length === 0 && rules.length === 0) v.add('spec', "at least one of 'from' or 'rules' has to be defined");
  rules.forEach((r, i) => {
    const d = obj(obj(r)?.default) ?? {};
    const at = `spec.rules[${i}].default`;
    if (!isSet(d.deny) && !isSet(d.allow) && !isSet(d.allowWithShadowDeny)) v.add(`spec.rules[${i}]`, "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined");
    checkMatches(v, `${at}.allow`, d.allow);
    checkMatches(v, `${at}.allowWithShadowDeny`, d.allowWithShadowDeny);
    checkMatches(v, `${at}.deny`, d.deny);
  });
  from.forEach((f, i) => {
    const item = obj(f);
    if (!item) return;
    checkTargetRef(v, `spec.from[${i}].targetRef`, item.targetRef, MTP_FROM);
    const action = obj(item.default)?.action;
    if (action === undefined || action === null || action === '') v.add(`spec.from[${i}].default.action`, 'must be defined');
  });
}

const MAL_TOP: Kind[] = ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'Dataplane'];
const MAL_TO: Kind[] = ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'];

/** MeshAccessLog: Kuma's validator.go (targetRefs, backends, formats). */
export function checkMeshAccessLog(v: Violations, doc: Obj): void {
  const spec = obj(doc.spec);
  if (!spec) return;
  const top = obj(spec.targetRef) ?? { kind: 'Mesh' };
  checkTargetRef(v, 'spec.targetRef', top, MAL_TOP);
  const to = arr(spec.to);
  const from = arr(spec.from);
  const rules = arr(spec.rules);
  if (rules.length > 0 && (to.length > 0 || from.length > 0)) v.add('spec', "fields 'to' and 'from' must be empty when 'rules' is defined");
  if (rules.length === 0 && to.length === 0 && from.length === 0) v.add('spec', "at least one of 'from', 'to' or 'rules' has to be defined");
  to.forEach((t, i) => {
    const item = obj(t) ?? {};
    checkTargetRef(v, `spec.to[${i}].targetRef`, item.targetRef, top.kind === 'MeshGateway' ? ['Mesh'] : MAL_TO);
    checkConf(v, `spec.to[${i}].default`, item.default);
  });
  from.forEach((f, i) => {
    const item = obj(f) ?? {};
    checkTargetRef(v, `spec.from[${i}].targetRef`, item.targetRef, ['Mesh']);
    checkConf(v, `spec.from[${i}].default`, item.default);
  });
  rules.forEach((r, i) => {
    const item = obj(r) ?? {};
    checkMatches(v, `spec.rules[${i}].matches`, item.matches);
    checkConf(v, `spec.rules[${i}].default`, item.default);
  });
}

function checkConf(v: Violations, field: string, value: unknown): void {
  const conf = obj(value) ?? {};
  if (!Array.isArray(conf.backends)) return v.add(`${field}.backends`, 'must be defined');
  conf.backends.forEach((b, i) => {
    const backend = obj(b);
    if (!backend) return;
    const at = `${field}.backends[${i}]`;
    switch (backend.type) {
      case 'File': {
        const file = obj(backend.file);
        if (!file) return v.add(`${at}.file`, 'must be defined');
        if (file.format !== undefined) checkFormat(v, `${at}.file.format`, file.format);
        const path = str(file.path);
        if (path !== undefined && !isFilePath(path)) v.add(`${at}.file.path`, 'file backend requires a valid path');
        return;
      }
      case 'Tcp': {
        const tcp = obj(backend.tcp);
        if (!tcp) return v.add(`${at}.tcp`, 'must be defined');
        if (tcp.format !== undefined) checkFormat(v, `${at}.tcp.format`, tcp.format);
        const address = str(tcp.address);
        if (address !== undefined && !isUrlish(address)) v.add(`${at}.tcp.address`, 'tcp backend requires valid address');
        return;
      }
      case 'OpenTelemetry': {
        const otel = obj(backend.openTelemetry);
        if (!otel) return v.add(`${at}.openTelemetry`, 'must be defined');
        const endpoint = str(otel.endpoint) ?? '';
        if (endpoint !== '' && isSet(otel.backendRef)) v.add(`${at}.openTelemetry`, 'endpoint and backendRef are mutually exclusive');
        if (endpoint === '' && !isSet(otel.backendRef)) v.add(`${at}.openTelemetry`, 'either endpoint or backendRef must be defined');
        return;
      }
    }
  });
}

function checkFormat(v: Violations, field: string, value: unknown): void {
  const f = obj(value);
  if (!f) return;
  if (f.type === 'Plain') {
    if (f.plain === undefined || f.plain === null) v.add(`${field}.plain`, 'must be defined');
    else if (f.plain === '') v.add(`${field}.plain`, 'must not be empty');
  } else if (f.type === 'Json') {
    if (!Array.isArray(f.json)) return v.add(`${field}.json`, 'must be defined');
    if (f.json.length === 0) v.add(`${field}.json`, 'must not be empty');
    f.json.forEach((e, i) => {
      const kv = obj(e) ?? {};
      if (kv.key === '') v.add(`${field}.json[${i}].key`, 'key cannot be empty');
      if (kv.value === '') v.add(`${field}.json[${i}].value`, 'value cannot be empty');
    });
  }
}

// govalidator's IsFilePath: an absolute Unix path (or a Windows one).
function isFilePath(p: string): boolean {
  return /^\/[^\0]*$/.test(p) || /^[a-zA-Z]:\\/.test(p);
}

// govalidator's IsURL accepts `host:port` (and URLs); what matters here is a host and a port.
function isUrlish(a: string): boolean {
  const m = /^(?:[a-z]+:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(a);
  return m !== null && m[1] !== '' && (m[2] === undefined || Number(m[2]) <= 65535);
}
