/**
 * Building blocks of the semantic rules: safe accessors over untyped documents (the schema has
 * already reported wrong types, so a rule silently skips a value of the wrong type instead of
 * reporting it twice), address and port checks, and the violation collector.
 */
import { isIPv6 } from 'node:net';
import type { Violation } from '../../core/errors.js';

export type Obj = Record<string, unknown>;

/** Collects violations in the order rules find them. */
export class Violations {
  readonly list: Violation[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
}

/** The value as a plain object, or undefined (arrays and null are not objects here). */
export function obj(x: unknown): Obj | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : undefined;
}

/** The value as an array, [] otherwise. */
export function arr(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** The string value, '' when absent; undefined when present with another type. */
export function str(x: unknown): string | undefined {
  if (x === undefined || x === null) return '';
  return typeof x === 'string' ? x : undefined;
}

/** The numeric value, 0 when absent (proto3 default); undefined when present with another type. */
export function num(x: unknown): number | undefined {
  if (x === undefined || x === null) return 0;
  return typeof x === 'number' ? x : undefined;
}

export const PORT_RANGE = 'port must be in the range [1, 65535]';

/** Kuma's ValidatePort: 0 (unset) is invalid too. Values of the wrong type are the schema's business. */
export function checkPort(v: Violations, field: string, value: unknown): void {
  const port = num(value);
  if (port === undefined) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) v.add(field, PORT_RANGE);
}

// govalidator's IsDNSName, which Kuma uses: labels of letters, digits, '_' and '-', 63 at most.
const DNS_NAME = /^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?$/;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** node:net's isIP, minus its costly IPv6 pattern for strings without a ':' (they cannot be IPv6). */
export function isIpAddress(s: string): boolean {
  return s.includes(':') ? isIPv6(s) : IPV4.test(s);
}

/** govalidator's IsDNSName: a DNS name that is not an IP address. */
export function isDnsName(s: string): boolean {
  if (s === '' || s.length - countDots(s) > 255) return false;
  return !isIpAddress(s) && DNS_NAME.test(s);
}

function countDots(s: string): number {
  let n = 0;
  for (let i = s.indexOf('.'); i >= 0; i = s.indexOf('.', i + 1)) n++;
  return n;
}

/** An IP address or a DNS name (Kuma's address rule). */
export function isIpOrDnsName(s: string): boolean {
  return isIpAddress(s) || (s.length - countDots(s) <= 255 && DNS_NAME.test(s));
}

export const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::']);

/** A listener address of a proxy: optional, but when set a concrete IP or DNS name. */
export function checkProxyAddress(v: Violations, field: string, value: unknown): void {
  const address = str(value);
  if (!address) return;
  if (WILDCARD_ADDRESSES.has(address)) v.add(field, 'must not be 0.0.0.0 or ::');
  else if (!isIpOrDnsName(address)) v.add(field, 'address has to be valid IP address or domain name');
}

/** Go's net.SplitHostPort: `host:port` or `[v6]:port`; undefined when the form is wrong. */
export function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
    return m ? { host: m[1], port: m[2] } : undefined;
  }
  const i = s.lastIndexOf(':');
  if (i < 0 || s.indexOf(':') !== i) return undefined;
  return { host: s.slice(0, i), port: s.slice(i + 1) };
}

/** `HOST:PORT` with a valid host and a port in [1, 65535]; reports the first problem only. */
export function checkHostPort(v: Violations, field: string, value: string): void {
  const hp = splitHostPort(value);
  if (!hp || hp.host === '' || hp.port === '') {
    v.add(field, 'has to be in format of HOST:PORT');
    return;
  }
  if (!isIpOrDnsName(hp.host)) v.add(field, 'address has to be a valid IP address or a domain name');
  const port = /^\d{1,5}$/.test(hp.port) ? Number(hp.port) : 0;
  if (port < 1 || port > 65535) v.add(field, PORT_RANGE);
}

/** Kuma's DataSource: at most one source, and a set source must not be empty. */
export function checkDataSource(v: Violations, field: string, value: unknown): void {
  const ds = obj(value);
  if (!ds) return;
  const set = ['secret', 'file', 'inline', 'inlineString'].filter((k) => ds[k] !== undefined && ds[k] !== null);
  if (set.length > 1) v.add(field, `only one of secret, file, inline or inlineString can be set (found ${set.join(', ')})`);
  else if (set.length === 0 || set.every((k) => ds[k] === '')) v.add(field, 'data source cannot be empty');
}

export const SERVICE_TAG = 'kuma.io/service';
export const PROTOCOL_TAG = 'kuma.io/protocol';
const TAG_NAME = /^[a-zA-Z0-9.\-_:/]*$/;
const TAG_VALUE = /^[a-zA-Z0-9.\-_:]*$/;

/** The field path of one tag: `tags["kuma.io/service"]`. */
export function tagField(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

/** Kuma's ValidateTags for the tags of a service (ZoneIngress, ExternalService). */
export function checkServiceTags(v: Violations, field: string, value: unknown, opts: { requireService: boolean }): void {
  const tags = obj(value) ?? {};
  for (const key of Object.keys(tags).sort()) {
    if (key === '') v.add(field, 'tag name must be non-empty');
    else if (!TAG_NAME.test(key)) v.add(tagField(field, key), 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores');
    const val = tags[key];
    if (typeof val !== 'string') continue;
    if (val === '') v.add(tagField(field, key), 'tag value must be non-empty');
    else if (!TAG_VALUE.test(val)) v.add(tagField(field, key), 'tag value must consist of alphanumeric characters, dots, dashes and underscores');
  }
  if (opts.requireService && tags[SERVICE_TAG] === undefined) v.add(field, `mandatory tag "${SERVICE_TAG}" is missing`);
}

const SELECTOR_CHARS = /^[A-Za-z0-9./_-]+$/;

/** Tag selectors (mesh constraints): at least one tag; names and values of [A-Za-z0-9./_-], values may be `*`. */
export function checkSelectorTags(v: Violations, field: string, value: unknown): void {
  const tags = obj(value) ?? {};
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) v.add(field, 'must have at least one tag');
  for (const key of keys) {
    if (key === '') v.add(field, 'tag name must be non-empty');
    else if (!SELECTOR_CHARS.test(key)) v.add(tagField(field, key), 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores');
    const val = tags[key];
    if (typeof val !== 'string') continue;
    if (val === '') v.add(tagField(field, key), 'tag value must be non-empty');
    else if (val !== '*' && !SELECTOR_CHARS.test(val)) v.add(tagField(field, key), 'tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"');
  }
}

/** Names used more than once in a list of backends: Kuma's `"x" name is already used for another backend`. */
export function checkUniqueNames(v: Violations, field: string, items: unknown[]): Set<string> {
  const used = new Set<string>();
  items.forEach((item, i) => {
    const name = str(obj(item)?.name);
    if (name === undefined) return;
    if (used.has(name)) v.add(`${field}[${i}].name`, `${JSON.stringify(name)} name is already used for another backend`);
    used.add(name);
  });
  return used;
}
