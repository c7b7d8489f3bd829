/**
 * Minting zone tokens: request validation (shared by `POST /tokens/zone` and the offline CLI) and
 * signing in Kuma's exact format.
 */
import { CompactSign } from 'jose';
import type { SigningCryptoKey } from './types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { parseGoDuration } from '../core/duration.js';
import { ValidationError, type Violation } from '../core/errors.js';
import { buildClaims } from './claims.js';
import { importSigningKey, parsePrivateKey } from './keys.js';
import { isZoneTokenScope, ZONE_TOKEN_SCOPES, type ZoneTokenScope } from './types.js';

export interface ZoneTokenRequest {
  /** Empty: the token is valid in any zone. */
  zone: string;
  scope: ZoneTokenScope[];
  validForMs: number;
}

export interface SigningKey {
  /** The serial N of `zone-token-signing-key-N`; becomes the header's `kid`. */
  kid: number;
  key: SigningCryptoKey;
}

/** What Kuma mints when `validFor` is missing; zonectl only does so with allowUnboundedTokens. */
export const UNBOUNDED_VALID_FOR_MS = 10 * 365 * 24 * 3_600_000;

const encoder = new TextEncoder();

/** Signs a token for the request with the given key. `jti` is injectable for golden tests. */
export async function signZoneToken(req: ZoneTokenRequest, signingKey: SigningKey, opts: { clock?: Clock; jti?: string } = {}): Promise<string> {
  const claims = buildClaims(req.zone, req.scope, req.validForMs, (opts.clock ?? systemClock).now().getTime(), opts.jti);
  // Kuma's header, keys in Go's sorted-map order.
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS256', kid: String(signingKey.kid), typ: 'JWT' })
    .sign(signingKey.key);
}

/** Offline minting (`generate zone-token --signing-key-path F --kid N`): the same token the CP would sign. */
export async function issueZoneTokenOffline(
  req: ZoneTokenRequest,
  signingKeyPem: string | Buffer,
  kid: number,
  opts: { clock?: Clock; what?: string; jti?: string } = {},
): Promise<string> {
  const key = await importSigningKey(parsePrivateKey(signingKeyPem, opts.what ?? 'the signing key'));
  return signZoneToken(req, { kid, key }, opts);
}

/**
 * Validates a `POST /tokens/zone` body `{"zone","scope","validFor"}` the way Kuma answers (title
 * `Invalid request`, violations per field), stricter where Kuma is lax: unknown scopes are
 * rejected, and a missing validFor is refused unless the server allows unbounded tokens.
 */
export function parseZoneTokenRequest(body: unknown, opts: { allowUnboundedTokens?: boolean } = {}): ZoneTokenRequest {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const violations: Violation[] = [];
  const zone = b.zone ?? '';
  if (typeof zone !== 'string') violations.push({ field: 'zone', message: 'must be a string' });
  const scope = parseScope(b.scope, violations);
  const validForMs = parseValidFor(b.validFor, !!opts.allowUnboundedTokens, violations);
  if (violations.length > 0) throw new ValidationError('Resource is not valid', violations, 'Invalid request');
  return { zone: zone as string, scope, validForMs: validForMs! };
}

function parseScope(raw: unknown, violations: Violation[]): ZoneTokenScope[] {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    violations.push({ field: 'scope', message: `cannot be empty: pass one or more of ${ZONE_TOKEN_SCOPES.join(', ')}` });
    return [];
  }
  if (!Array.isArray(raw)) {
    violations.push({ field: 'scope', message: `must be a list of scopes, e.g. ["egress"]` });
    return [];
  }
  const out: ZoneTokenScope[] = [];
  raw.forEach((s, i) => {
    if (isZoneTokenScope(s)) {
      if (!out.includes(s)) out.push(s);
    } else {
      violations.push({ field: `scope[${i}]`, message: `${JSON.stringify(s)} is not a valid scope; valid scopes: ${ZONE_TOKEN_SCOPES.join(', ')}` });
    }
  });
  return out;
}

function parseValidFor(raw: unknown, allowUnbounded: boolean, violations: Violation[]): number | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (allowUnbounded) return UNBOUNDED_VALID_FOR_MS;
    violations.push({
      field: 'validFor',
      message: 'cannot be empty: pass how long the token is valid in Go duration syntax, e.g. "720h" (this control plane refuses tokens that never expire)',
    });
    return undefined;
  }
  const ms = typeof raw === 'string' ? parseGoDuration(raw) : undefined;
  if (ms === undefined) {
    violations.push({ field: 'validFor', message: `is invalid: time: invalid duration ${JSON.stringify(String(raw))} (use Go syntax such as "720h" or "1h30m")` });
    return undefined;
  }
  if (ms < 1000) {
    violations.push({ field: 'validFor', message: `must be at least 1s, got ${JSON.stringify(raw)}` });
    return undefined;
  }
  return ms;
}
