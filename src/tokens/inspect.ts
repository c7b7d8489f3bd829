/**
 * `inspect zone-token`: decode a token without trusting it, and render what a user debugging a
 * rejected egress needs (which key, which zone, which scope, when it expires, its id).
 */
import type { Clock } from '../core/clock.js';
import { parseClaims } from './claims.js';
import { decodeToken } from './decode.js';
import type { TokenRejectReason } from './errors.js';
import { isoSeconds, shortSpan } from './time.js';

export interface ZoneTokenVerification {
  valid: boolean;
  /** Who checked: the control plane (incl. revocation) or a local public key. */
  checkedBy: string;
  revocationChecked: boolean;
  reason?: TokenRejectReason;
  message?: string;
}

/** The `--json` shape of `inspect zone-token` (a tested contract). */
export interface ZoneTokenInfo {
  alg: string;
  /** The header's kid as written (a string in valid tokens). */
  kid: unknown;
  /** '' = valid in any zone. */
  zone: string;
  scope: string[];
  issued: string | null;
  notBefore: string | null;
  expires: string;
  expired: boolean;
  /** Milliseconds until expiry (negative when expired), against the injected clock. */
  expiresInMs: number;
  jti: string;
  verification?: ZoneTokenVerification;
}

export function describeZoneToken(token: string, clock: Clock): ZoneTokenInfo {
  const { header, payload } = decodeToken(token);
  const claims = parseClaims(payload);
  const expiresInMs = claims.exp * 1000 - clock.now().getTime();
  return {
    alg: header.alg,
    kid: header.kid,
    zone: claims.Zone,
    scope: claims.Scope,
    issued: claims.iat === undefined ? null : isoSeconds(claims.iat),
    notBefore: claims.nbf === undefined ? null : isoSeconds(claims.nbf),
    expires: isoSeconds(claims.exp),
    expired: expiresInMs < 0,
    expiresInMs,
    jti: claims.jti,
  };
}

export function renderZoneTokenInfo(info: ZoneTokenInfo): string {
  const when = info.expired ? `expired ${shortSpan(info.expiresInMs)} ago` : `in ${shortSpan(info.expiresInMs)}`;
  const rows: Array<[string, string]> = [
    ['Signing key (kid)', typeof info.kid === 'string' ? info.kid : `${JSON.stringify(info.kid) ?? '(none)'} (invalid)`],
    ['Algorithm', info.alg],
    ['Zone', info.zone === '' ? '(any zone)' : info.zone],
    ['Scope', info.scope.length === 0 ? '(none)' : info.scope.join(', ')],
    ['Issued', info.issued ?? '(not set)'],
    ['Expires', `${info.expires} (${when})`],
    ['Token ID (jti)', info.jti],
  ];
  const v = info.verification;
  if (v) {
    const verdict = v.valid ? `yes, checked by ${v.checkedBy}` : `no, ${v.message} [${v.reason}]`;
    rows.push(['Valid', v.revocationChecked || !v.valid ? verdict : `${verdict} (revocation not checked offline)`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, val]) => `${`${k}:`.padEnd(width)}${val}`).join('\n') + '\n';
}
