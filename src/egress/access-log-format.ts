/**
 * Access log records and how they become lines: zonectl's JSON line (no `format`), or Kuma's
 * MeshAccessLog `format` (Plain with Envoy command operators, or Json key/value pairs), compiled
 * once per format into a render function.
 *
 * Operators are Envoy's (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage)
 * and Kuma's `%KUMA_*%` placeholders, for what a TCP connection through the egress has. As in
 * Envoy, a value that is not available renders `-` in a Plain line and `null` in a Json one; an
 * operator the egress does not fill (HTTP ones such as %RESPONSE_CODE%, or an unknown name)
 * renders the same way, where Envoy would refuse the whole configuration: one typo must not take
 * the access log of every route down. The control plane and `dp run` warn about such operators
 * (unknownOperators).
 */
import type { AccessLogFormat } from '../resources/egress-config.js';

/** One access log line, zonectl's default JSON shape (field order is the output order). */
export interface AccessRecord {
  /** When the connection was accepted (RFC 3339, ms, UTC). */
  time: string;
  /** The ZoneEgress name. */
  egress: string;
  mesh: string | null;
  /** null for connections rejected before a route was found. */
  route: 'passthrough' | 'terminating' | null;
  sni: string | null;
  /** The client's `address:port` (`[v6]:port`). */
  client: string;
  /** The verified client certificate's SPIFFE ID (terminating routes only). */
  identity: string | null;
  /** The upstream `address:port`: a zone ingress (passthrough) or the external service. */
  upstream: string | null;
  /** Bytes from the client to the upstream, and from the upstream to the client. */
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** TLS version of a terminated connection; null for passthrough (the TLS is end to end). */
  tls: string | null;
  /** How it ended: closed, error, upstream-connect-failed, drained, revoked, or the rejection reason. */
  close: string;
  /** The MeshTrafficPermission decision (terminating routes with permissions). */
  permission: { action: string; policy: string | null } | null;
}

export type Render = (r: AccessRecord) => string;

const q = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/**
 * q() of the fields with few distinct values (egress, mesh, route, SNI, upstream, close), kept:
 * the same strings come back on every connection of a route. Bounded: emptied at 4,096 entries.
 */
const quoted = new Map<string, string>();
function qc(s: string | null): string {
  if (s === null) return 'null';
  let out = quoted.get(s);
  if (out === undefined) {
    if (quoted.size >= 4096) quoted.clear();
    quoted.set(s, (out = JSON.stringify(s)));
  }
  return out;
}

/**
 * A duration already rounded to 3 decimals (ms()), as JSON writes it ("12", "12.5", "0.047"),
 * from integers: a double's shortest form costs several times more to compute.
 */
function msText(x: number): string {
  const us = Math.round(x * 1000);
  if (!Number.isSafeInteger(us) || us < 0) return String(x);
  const whole = Math.floor(us / 1000);
  let frac = us - whole * 1000;
  if (frac === 0) return `${whole}`;
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return `${whole}.${String(frac).padStart(digits, '0')}`;
}

/**
 * `JSON.stringify(r)`, written out: several times as fast, and this runs once per logged
 * connection. `client` is `address:port` from the kernel (digits, dots, colons, brackets: nothing
 * to escape).
 */
export const renderDefault: Render = (r) =>
  `{"time":"${r.time}","egress":${qc(r.egress)},"mesh":${qc(r.mesh)},"route":${qc(r.route)},"sni":${qc(r.sni)},"client":"${r.client}","identity":${q(r.identity)},"upstream":${qc(r.upstream)},"bytesIn":${r.bytesIn},"bytesOut":${r.bytesOut},"durationMs":${msText(r.durationMs)},"tls":${qc(r.tls)},"close":${qc(r.close)},"permission":${r.permission ? JSON.stringify(r.permission) : 'null'}}`;

let isoSecond = NaN;
let isoPrefix = '';
/** `new Date(ms).toISOString()` with the part up to the second computed once per second. */
export function isoTime(ms: number): string {
  const t = Math.floor(ms);
  const sec = Math.floor(t / 1000);
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  const m = t - sec * 1000;
  return `${isoPrefix}${m < 10 ? '00' : m < 100 ? '0' : ''}${m}Z`;
}

type Value = string | number | null;

const withoutPort = (a: string): string => a.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
const serviceOfSni = (sni: string): string => {
  const at = sni.indexOf('{');
  return at < 0 ? sni : sni.slice(0, at);
};
const serviceOfSpiffe = (id: string): string => id.slice(id.lastIndexOf('/') + 1);

/**
 * Envoy's response flags for how a TCP connection through the egress ended: UF upstream connection
 * failure, NR no route (no or unknown SNI), RBAC denied by a MeshTrafficPermission, DT duration
 * timeout (the ClientHello did not arrive in time), DC downstream connection termination (the
 * client, or the drain, ended it before an upstream was reached). A clean close has none (`-`).
 */
const RESPONSE_FLAGS: Record<string, string> = {
  'upstream-connect-failed': 'UF',
  'no-sni': 'NR',
  'unknown-sni': 'NR',
  denied: 'RBAC',
  revoked: 'RBAC',
  timeout: 'DT',
  drained: 'DC',
};

/** The operators the egress fills. */
const OPERATORS: Record<string, (r: AccessRecord) => Value> = {
  START_TIME: (r) => r.time,
  DURATION: (r) => Math.round(r.durationMs),
  BYTES_RECEIVED: (r) => r.bytesIn,
  BYTES_SENT: (r) => r.bytesOut,
  UPSTREAM_WIRE_BYTES_SENT: (r) => r.bytesIn,
  UPSTREAM_WIRE_BYTES_RECEIVED: (r) => r.bytesOut,
  DOWNSTREAM_REMOTE_ADDRESS: (r) => r.client || null,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (r) => (r.client ? withoutPort(r.client) : null),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (r) => r.client || null,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (r) => (r.client ? withoutPort(r.client) : null),
  DOWNSTREAM_PEER_URI_SAN: (r) => r.identity,
  DOWNSTREAM_TLS_VERSION: (r) => r.tls,
  REQUESTED_SERVER_NAME: (r) => r.sni,
  SNI: (r) => r.sni,
  UPSTREAM_HOST: (r) => r.upstream,
  UPSTREAM_CLUSTER: (r) => (r.sni ? serviceOfSni(r.sni) : null),
  RESPONSE_FLAGS: (r) => RESPONSE_FLAGS[r.close] ?? null,
  CONNECTION_TERMINATION_DETAILS: (r) => r.close,
  KUMA_MESH: (r) => r.mesh,
  KUMA_SOURCE_ADDRESS: (r) => r.client || null,
  KUMA_SOURCE_ADDRESS_WITHOUT_PORT: (r) => (r.client ? withoutPort(r.client) : null),
  KUMA_SOURCE_SERVICE: (r) => (r.identity ? serviceOfSpiffe(r.identity) : null),
  KUMA_DESTINATION_SERVICE: (r) => (r.sni ? serviceOfSni(r.sni) : null),
  KUMA_TRAFFIC_DIRECTION: () => 'OUTBOUND',
};

/** `%NAME%` or `%NAME(arg)%` (arguments, e.g. START_TIME's strftime format, are ignored). */
const OPERATOR = /%([A-Z][A-Z0-9_]*)(?:\([^)%]*\))?(?::\d+)?%/g;

/** Operators in a format that the egress does not fill (they render `-`). */
export function unknownOperators(format: AccessLogFormat | undefined): string[] {
  if (!format) return [];
  const texts = format.type === 'Plain' ? [format.plain ?? ''] : (format.json ?? []).map((f) => f.value);
  const out = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(OPERATOR)) if (!OPERATORS[m[1]]) out.add(m[1]);
  return [...out];
}

type Template = (r: AccessRecord) => Value;

/** A template string compiled into literal parts and operator getters. */
function template(text: string): Template {
  const literals: string[] = [];
  const getters: Array<(r: AccessRecord) => Value> = [];
  let last = 0;
  for (const m of text.matchAll(OPERATOR)) {
    literals.push(text.slice(last, m.index));
    getters.push(OPERATORS[m[1]] ?? (() => null));
    last = m.index! + m[0].length;
  }
  literals.push(text.slice(last));
  // A value that is one operator keeps its type in Json (numbers stay numbers), as Envoy's json_format.
  if (getters.length === 1 && literals[0] === '' && literals[1] === '') return getters[0];
  if (getters.length === 0) return () => text;
  return (r) => {
    let out = literals[0];
    for (let i = 0; i < getters.length; i++) out += String(getters[i](r) ?? '-') + literals[i + 1];
    return out;
  };
}

/** A format compiled once into a render function; absent = zonectl's JSON line. */
export function compileFormat(format: AccessLogFormat | undefined): Render {
  if (!format) return renderDefault;
  if (format.type === 'Plain') {
    const t = template(format.plain ?? '');
    return (r) => String(t(r) ?? '-');
  }
  const fields = (format.json ?? []).map((f) => [f.key, template(f.value)] as const);
  const omit = format.omitEmptyValues === true;
  return (r) => {
    const o: Record<string, Value> = {};
    for (const [k, t] of fields) {
      const v = t(r);
      if (omit && (v === null || v === '')) continue;
      o[k] = v;
    }
    return JSON.stringify(o);
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function checkFormat(out: string[], at: string, f: unknown): void {
  if (f === undefined) return;
  if (!isObj(f)) return void out.push(`${at}: must be an object with type Plain or Json`);
  if (f.type === 'Plain') {
    if (!isNonEmpty(f.plain)) out.push(`${at}.plain: must be a non-empty string (Envoy command operators such as %START_TIME%)`);
  } else if (f.type === 'Json') {
    if (!Array.isArray(f.json) || f.json.length === 0) return void out.push(`${at}.json: must list at least one {key, value}`);
    f.json.forEach((kv, i) => {
      if (!isObj(kv) || !isNonEmpty(kv.key) || !isNonEmpty(kv.value)) out.push(`${at}.json[${i}]: must have a non-empty key and value`);
    });
  } else out.push(`${at}.type: must be Plain or Json`);
}

/**
 * Problems of a snapshot's accessLog section (field paths first). The section is all or nothing:
 * a route pointing at a backend that is not there would log nowhere without anyone noticing.
 */
export function checkAccessLog(a: unknown): string[] {
  if (a === undefined) return [];
  const out: string[] = [];
  if (!isObj(a)) return ['accessLog: must be an object with backends, routes and unrouted'];
  const names = new Set<string>();
  if (!Array.isArray(a.backends)) out.push('accessLog.backends: must be a list');
  else
    a.backends.forEach((b, i) => {
      const at = `accessLog.backends[${i}]`;
      if (!isObj(b)) return void out.push(`${at}: must be an object`);
      if (!isNonEmpty(b.name)) out.push(`${at}.name: must be a non-empty string`);
      else if (names.has(b.name)) out.push(`${at}.name: duplicate backend name '${b.name}'`);
      else names.add(b.name);
      if (b.type === 'file') {
        if (!isNonEmpty(b.path)) out.push(`${at}.path: must be a file path`);
      } else if (b.type === 'tcp') {
        if (!isNonEmpty(b.address) || !/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/.test(b.address)) out.push(`${at}.address: must be host:port`);
      } else if (b.type !== 'stdout') out.push(`${at}.type: must be stdout, file or tcp`);
      checkFormat(out, `${at}.format`, b.format);
    });
  const refs = (at: string, list: unknown) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) return void out.push(`${at}: must be a list of backend names`);
    list.forEach((n, j) => {
      if (typeof n !== 'string' || !names.has(n)) out.push(`${at}[${j}]: no backend named ${JSON.stringify(n)} (add it under accessLog.backends)`);
    });
  };
  if (a.routes !== undefined && !Array.isArray(a.routes)) out.push('accessLog.routes: must be a list');
  else
    ((a.routes ?? []) as unknown[]).forEach((r, i) => {
      if (!isObj(r) || !isNonEmpty(r.sni)) return void out.push(`accessLog.routes[${i}].sni: must be a non-empty string`);
      refs(`accessLog.routes[${i}].backends`, r.backends);
    });
  refs('accessLog.unrouted', a.unrouted);
  return out;
}
