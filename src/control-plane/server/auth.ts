/**
 * Who is an admin: direct callers from localhost (Kuma's `localhostIsAdmin`, on by default) and
 * callers presenting the admin token. The token lives in <data-dir>/admin-token (mode 0600),
 * created at first start.
 *
 * "Direct from localhost" is Kuma 2.14's isDirectLoopbackRequest (pkg/api-server/authn/localhost.go):
 * a browser on the operator's machine also connects over loopback, so the socket address alone
 * would make any web page an admin (DNS rebinding: `Host: evil.example`; cross-site forms and
 * fetches: `Origin`, `Sec-Fetch-Site`). A loopback request is admin only when all hold:
 * - the socket peer is 127.0.0.1 or ::1 exactly (zonectl is stricter than Kuma's 127.0.0.0/8:
 *   other 127.x addresses count as remote, and tests use 127.0.0.2 for that);
 * - no proxy-hop header (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`): a local reverse proxy
 *   forwards other people's requests;
 * - `Host` is `localhost` or a loopback IP, with an optional valid port;
 * - `Sec-Fetch-Site` is absent, `same-origin` or `none`;
 * - `Origin`, when present, is http(s) on a loopback host with the same host and port as `Host`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';

const LOCALHOST = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isLocalhost(address: string): boolean {
  return LOCALHOST.has(address);
}

/** Why a loopback request is not treated as admin, or undefined when it is a direct local call. */
export function indirectLoopbackReason(remoteAddress: string, headers: IncomingHttpHeaders): string | undefined {
  if (!isLocalhost(remoteAddress)) return 'peer is not 127.0.0.1 or ::1';
  for (const h of ['forwarded', 'x-forwarded-for', 'x-real-ip']) if (headers[h] !== undefined) return `${h} header present (proxied request)`;
  const host = headers.host ?? '';
  const authority = parseAuthority('http', host);
  if (!authority || !isLoopbackHost(authority.host)) return `Host ${JSON.stringify(host.slice(0, 100))} is not a loopback host`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${JSON.stringify(String(site).slice(0, 40))}`;
  const origin = headers.origin;
  if (origin !== undefined && !isSameOriginLoopback(origin, host)) return `Origin ${JSON.stringify(origin.slice(0, 100))} is not the same loopback origin`;
  return undefined;
}

function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost') return true;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4');
}

interface Authority {
  host: string;
  port: string;
}

/**
 * `host[:port]` as Go's url.Parse("<scheme>://" + hostport) would accept it with no user info,
 * path, query or fragment; the port defaults from the scheme and must be 1-65535; the host is
 * canonical (lower case, no trailing dot, IPv6 compressed). Undefined when malformed.
 */
function parseAuthority(scheme: string, hostport: string): Authority | undefined {
  if (hostport === '' || hostport.endsWith(':') || /[\s/?#@\\%]/.test(hostport)) return undefined;
  let host: string;
  let rest: string;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) return undefined;
    host = hostport.slice(1, end);
    if (isIP(host) !== 6) return undefined;
    rest = hostport.slice(end + 1);
  } else {
    const colon = hostport.indexOf(':');
    if (colon >= 0 && hostport.indexOf(':', colon + 1) >= 0) return undefined;
    host = colon < 0 ? hostport : hostport.slice(0, colon);
    rest = colon < 0 ? '' : hostport.slice(colon);
  }
  let port = scheme === 'https' ? '443' : scheme === 'http' ? '80' : '';
  if (rest !== '') {
    if (!/^:\d{1,5}$/.test(rest)) return undefined;
    port = String(Number(rest.slice(1)));
  }
  if (!(Number(port) >= 1 && Number(port) <= 65535)) return undefined;
  const canonical = canonicalHost(host);
  return canonical ? { host: canonical, port } : undefined;
}

function canonicalHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  // WHATWG URL prints IPv6 compressed, like Go's ip.String().
  return isIP(h) === 6 ? new URL(`http://[${h}]`).hostname.slice(1, -1) : h;
}

function isSameOriginLoopback(origin: string, requestHost: string): boolean {
  const m = /^(https?):\/\/([^/?#]*)$/i.exec(origin);
  if (!m) return false;
  const scheme = m[1].toLowerCase();
  const o = parseAuthority(scheme, m[2]);
  const h = parseAuthority(scheme, requestHost);
  return o !== undefined && h !== undefined && isLoopbackHost(o.host) && o.host === h.host && o.port === h.port;
}

export class AdminAuth {
  private readonly digest: Buffer;

  constructor(
    token: string,
    private readonly localhostIsAdmin: boolean,
  ) {
    this.digest = sha256(token);
  }

  /** True for the admin token, or a direct loopback request while localhostIsAdmin is on. */
  isAdmin(remoteAddress: string, headers: IncomingHttpHeaders): boolean {
    if (this.localhostIsAdmin && indirectLoopbackReason(remoteAddress, headers) === undefined) return true;
    const authorization = headers.authorization;
    if (!authorization) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Compare digests: equal length always, so timingSafeEqual's time says nothing about the token.
    return m !== null && timingSafeEqual(sha256(m[1]), this.digest);
  }

  /** For the debug log: why a loopback caller was not an admin (undefined when not applicable). */
  loopbackRefusal(remoteAddress: string, headers: IncomingHttpHeaders): string | undefined {
    if (!this.localhostIsAdmin || !isLocalhost(remoteAddress)) return undefined;
    return indirectLoopbackReason(remoteAddress, headers);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Reads <dataDir>/admin-token, creating it (mode 0600) on first start; without a data dir, a token in memory. */
export function loadOrCreateAdminToken(dataDir: string | undefined): string {
  if (dataDir === undefined) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
