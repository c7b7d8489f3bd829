/**
 * The one zone-token verifier, used by the control plane's dp-server (egress bootstrap and
 * streams), by the control plane's verify endpoint and by `inspect zone-token --verify`.
 * The checks run in this order, each failing with its own TokenError reason:
 * size/shape -> alg (RS256 only) -> kid -> key lookup -> signature -> claims -> exp/nbf (5 s
 * skew) -> revocation -> scope -> zone. Nothing in the payload is trusted before the signature.
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { parseClaims } from './claims.js';
import { decodeToken } from './decode.js';
import { TokenError } from './errors.js';
import type { ZoneTokenKeySource } from './key-source.js';
import { isoSeconds, shortSpan } from './time.js';
import { CLOCK_SKEW_SECONDS, type ZoneTokenClaims, type VerificationKey, type ZoneTokenScope } from './types.js';

export interface ZoneTokenVerifierOptions {
  /** Where public keys (by kid) and the revocation list come from. */
  keySource: ZoneTokenKeySource;
  /** This control plane's zone. A token's Zone must be empty or equal; undefined skips the check. */
  zone?: string;
  clock?: Clock;
}

export interface VerifiedZoneToken {
  /** The signing-key serial from the header. */
  kid: number;
  claims: ZoneTokenClaims;
}

export interface ZoneTokenVerifier {
  /**
   * Resolves with the verified claims, or rejects with a TokenError whose `reason` says which
   * check failed (`status` 401, or 403 for scope-empty/out-of-scope/zone-mismatch). Any other
   * rejection (e.g. the store is unreachable) is not a verdict on the token.
   * `requiredScope` undefined skips the scope check (`inspect --verify` without `--scope`).
   */
  verify(token: string, requiredScope?: ZoneTokenScope): Promise<VerifiedZoneToken>;
}

export function createZoneTokenVerifier(opts: ZoneTokenVerifierOptions): ZoneTokenVerifier {
  const clock = opts.clock ?? systemClock;
  const { keySource, zone } = opts;
  return {
    async verify(token, requiredScope) {
      const decoded = decodeToken(token);
      const kid = checkHeader(decoded.header);
      const found = keySource.verificationKeys(kid);
      // Cached sources answer synchronously: no await (and no microtask) on the hot path.
      const keys = Array.isArray(found) ? (found as readonly VerificationKey[]) : await found;
      if (keys.length === 0) {
        throw new TokenError('kid-unknown', keySource.describeMissingKey?.(kid) ?? `there is no signing key with serial number ${kid} (kid "${kid}"); if the signing key was rotated, regenerate the token`);
      }
      const expected = Math.min(...keys.map(modulusBytes));
      if (decoded.signature.length < expected) {
        throw new TokenError('truncated', `token is truncated: its signature has ${decoded.signature.length} bytes, an RS256 signature with this key has ${expected} (was it copied completely?)`);
      }
      checkSignature(token.trim(), decoded.signature, keys, kid);
      const claims = parseClaims(decoded.payload);
      checkTime(claims, clock.now().getTime());
      const revoked = keySource.isRevoked?.(claims.jti);
      if (revoked === true || (typeof revoked === 'object' && (await revoked))) {
        throw new TokenError('revoked', `token is revoked (jti ${claims.jti}); generate a new one with 'zonectl generate zone-token'`);
      }
      if (requiredScope !== undefined) checkScope(claims.Scope, requiredScope);
      if (zone !== undefined && claims.Zone !== '' && claims.Zone !== zone) {
        // Kuma's wording, so operators can search for it.
        throw new TokenError('zone-mismatch', `zone from requestor: ${zone} is different than in token: ${claims.Zone}`);
      }
      return { kid, claims };
    },
  };
}

function checkHeader(header: { alg: string; kid?: unknown; crit?: unknown }): number {
  const alg = header.alg;
  if (alg.toLowerCase() === 'none') {
    throw new TokenError('alg-none', 'token is unsigned (alg "none"); zone tokens must be signed with RS256');
  }
  if (/^HS/i.test(alg)) {
    throw new TokenError('alg-hmac', `token is signed with ${alg}, a shared-secret algorithm; zone tokens must be signed with RS256 (an ${alg} token made with the public key is a forgery)`);
  }
  if (alg !== 'RS256') {
    throw new TokenError('alg-unsupported', `token algorithm ${JSON.stringify(alg)} is not allowed; zone tokens must be signed with RS256`);
  }
  if (header.crit !== undefined) {
    // RFC 7515 §4.1.11: a recipient must reject critical extensions it does not understand; we understand none.
    throw new TokenError('malformed', `token is not a valid JWS for zonectl: it has critical header extensions ${JSON.stringify(header.crit)}`);
  }
  if (header.kid === undefined) {
    throw new TokenError('kid-missing', 'token header has no "kid": a zone token names the serial number of its signing key in "kid"');
  }
  if (typeof header.kid !== 'string' || !/^\d{1,9}$/.test(header.kid)) {
    throw new TokenError('kid-invalid', `kid header is invalid: expected a signing key serial number as a string, e.g. "1", got ${JSON.stringify(header.kid)}`);
  }
  return Number(header.kid);
}

function modulusBytes(key: VerificationKey): number {
  return (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
}

/**
 * RS256 = RSASSA-PKCS1-v1_5 with SHA-256 over `<header>.<payload>` (RFC 7518 §3.3), verified
 * with node:crypto on the cached KeyObject: synchronous, and no thread-pool hop per token.
 */
function checkSignature(token: string, signature: Buffer, keys: readonly VerificationKey[], kid: number): void {
  const input = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  for (const key of keys) {
    if (cryptoVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) return;
  }
  throw new TokenError('signature-invalid', `token signature does not verify with signing key ${kid}: the token was altered, or signed by another key`);
}

function checkTime(claims: ZoneTokenClaims, nowMs: number): void {
  const now = nowMs / 1000;
  if (now > claims.exp + CLOCK_SKEW_SECONDS) {
    throw new TokenError('expired', `token expired at ${isoSeconds(claims.exp)} (${shortSpan(nowMs - claims.exp * 1000)} ago); generate a new one with 'zonectl generate zone-token'`);
  }
  if (claims.nbf !== undefined && now + CLOCK_SKEW_SECONDS < claims.nbf) {
    throw new TokenError('not-yet-valid', `token is not valid before ${isoSeconds(claims.nbf)} (in ${shortSpan(claims.nbf * 1000 - nowMs)}); check the clocks of this machine and of the one that minted it`);
  }
}

/** Go's `%+v` of a []string: `[ingress egress]`. */
function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

function checkScope(scope: readonly string[], required: ZoneTokenScope): void {
  const kuma = `token cannot be used to authenticate zone entity (${required} is out of token's scope: ${goList(scope)})`;
  if (scope.length === 0) {
    throw new TokenError('scope-empty', `${kuma}; the token has no scope: generate one with --scope ${required}`);
  }
  if (!scope.includes(required)) throw new TokenError('out-of-scope', kuma);
}
