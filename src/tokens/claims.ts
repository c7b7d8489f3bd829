/**
 * Zone-token claims: building them exactly as Kuma does, and reading them back defensively.
 */
import { randomUUID } from 'node:crypto';
import { TokenError } from './errors.js';
import { CLOCK_SKEW_SECONDS, type ZoneTokenClaims } from './types.js';

/**
 * The claims Kuma's issuer writes, in Go's marshalling order (struct fields Zone, Scope, then the
 * registered claims), so our tokens are byte-for-byte shaped like kuma-cp's:
 * iat = nbf = now - 5 s (clock skew between minting and verifying machines), exp = now + validFor.
 */
export function buildClaims(zone: string, scope: readonly string[], validForMs: number, nowMs: number, jti: string = randomUUID()): ZoneTokenClaims {
  const now = Math.floor(nowMs / 1000);
  const issued = now - CLOCK_SKEW_SECONDS;
  return { Zone: zone, Scope: [...scope], exp: now + Math.floor(validForMs / 1000), nbf: issued, iat: issued, jti };
}

/**
 * Reads untrusted claims. Go leaves a nil Scope as `null` and a missing Zone as "", so both are
 * tolerated; a missing `exp` or `jti` is not (a token that never expires, or that cannot be
 * revoked, is not one we accept).
 */
export function parseClaims(payload: unknown): ZoneTokenClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('the payload is not a JSON object');
  }
  const p = payload as Record<string, unknown>;
  const zone = p.Zone ?? '';
  if (typeof zone !== 'string') throw invalid('Zone must be a string');
  const scope = p.Scope ?? [];
  if (!Array.isArray(scope) || !scope.every((s) => typeof s === 'string')) throw invalid('Scope must be a list of strings');
  if (p.exp === undefined) throw invalid('exp is missing: zone tokens must expire');
  if (!isNumericDate(p.exp)) throw invalid('exp must be a number of seconds');
  for (const name of ['nbf', 'iat'] as const) {
    if (p[name] !== undefined && !isNumericDate(p[name])) throw invalid(`${name} must be a number of seconds`);
  }
  if (typeof p.jti !== 'string' || p.jti === '') throw invalid('jti is missing: a token without an id cannot be revoked');
  return {
    Zone: zone,
    Scope: scope as string[],
    exp: p.exp,
    ...(p.nbf !== undefined ? { nbf: p.nbf as number } : {}),
    ...(p.iat !== undefined ? { iat: p.iat as number } : {}),
    jti: p.jti,
  };
}

function isNumericDate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function invalid(what: string): TokenError {
  return new TokenError('claims-invalid', `token claims are invalid: ${what}`);
}
