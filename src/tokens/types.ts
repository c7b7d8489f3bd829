/**
 * Zone tokens in Kuma 2.14's exact format: an RS256 JWT whose header is
 * `{"alg":"RS256","kid":"<signing-key serial>","typ":"JWT"}` and whose claims are
 * `{"Zone","Scope","exp","nbf","iat","jti"}` (Zone and Scope capitalised, as Go marshals them).
 */

/**
 * Scopes zonectl mints: `egress` and `ingress` (Kuma 2.14's, pkg/tokens/builtin/zone/scope.go) and
 * `cp`, which authenticates a zone control plane to the global (as Kong Mesh's `--scope cp`; Kuma
 * OSS has no zone-CP authentication). The verifier tolerates unknown items.
 */
export const ZONE_TOKEN_SCOPES = ['egress', 'ingress', 'cp'] as const;
export type ZoneTokenScope = (typeof ZONE_TOKEN_SCOPES)[number];

export function isZoneTokenScope(value: unknown): value is ZoneTokenScope {
  return typeof value === 'string' && (ZONE_TOKEN_SCOPES as readonly string[]).includes(value);
}

/** Global secrets `zone-token-signing-key-<N>` hold the signing keys; N is the token's `kid`. */
export const SIGNING_KEY_PREFIX = 'zone-token-signing-key';
/**
 * Global secrets `zone-token-signing-public-key-<N>`: the public half of signing key N, which is
 * all a zone control plane receives from the global (Kuma's MapZoneTokenSigningKeyGlobalToPublicKey,
 * pkg/kds/context/context.go), so zones verify tokens minted on the global without its private key.
 */
export const SIGNING_PUBLIC_KEY_PREFIX = 'zone-token-signing-public-key';

export function signingPublicKeySecretName(serial: number): string {
  return `${SIGNING_PUBLIC_KEY_PREFIX}-${serial}`;
}

/** The serial of a signing-public-key secret name, or undefined. */
export function signingPublicKeySerial(secretName: string): number | undefined {
  const m = /^zone-token-signing-public-key-([1-9]\d{0,8})$/.exec(secretName);
  return m ? Number(m[1]) : undefined;
}

/** Global secret with the comma-separated jti values of revoked tokens. */
export const REVOCATIONS_SECRET = 'zone-token-revocations';

export function signingKeySecretName(serial: number): string {
  return `${SIGNING_KEY_PREFIX}-${serial}`;
}

/** The serial of a signing-key secret name, or undefined when the name is not one. */
export function signingKeySerial(secretName: string): number | undefined {
  const m = /^zone-token-signing-key-([1-9]\d{0,8})$/.exec(secretName);
  return m ? Number(m[1]) : undefined;
}

/** Kuma's clock-skew allowance: iat = nbf = now - 5 s at minting, and 5 s of leeway on checks. */
export const CLOCK_SKEW_SECONDS = 5;

/** The decoded claims of a zone token (after verification, or as-is for `inspect`). */
export interface ZoneTokenClaims {
  /** Empty string: valid in any zone. */
  Zone: string;
  Scope: string[];
  /** Seconds since the epoch. */
  exp: number;
  nbf?: number;
  iat?: number;
  jti: string;
}

export interface ZoneTokenHeader {
  alg: string;
  kid?: unknown;
  typ?: string;
  [key: string]: unknown;
}

/** A private key imported for RS256 signing (a WebCrypto CryptoKey, for jose); opaque outside src/tokens. */
export type { CryptoKey as SigningCryptoKey } from 'jose';

/**
 * A public RSA key prepared for verification. A node:crypto KeyObject, verified synchronously:
 * WebCrypto's verify hops to the thread pool and costs more than the RSA operation itself.
 */
export type VerificationKey = import('node:crypto').KeyObject;
