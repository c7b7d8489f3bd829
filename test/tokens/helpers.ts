/**
 * Token test helpers: Kuma's test keys, a mutable in-memory key source (rotation, revocation),
 * and a raw JWS builder with node:crypto so forged tokens do not go through our own signer.
 */
import { createHmac, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  importSigningKey,
  importVerificationKey,
  parsePrivateKey,
  type SigningKey,
  type VerificationKey,
  type ZoneTokenKeySource,
} from '../../src/tokens/index.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

export const KEY1_PEM = fixture('samplekey.pem');
export const KEY2_PEM = fixture('samplekey-2.pem');

export async function signingKey(pem: string, kid: number): Promise<SigningKey> {
  return { kid, key: await importSigningKey(parsePrivateKey(pem, `test key ${kid}`)) };
}

/** A key source whose keys and revocations tests change, like the store-backed one. */
export class MemoryKeySource implements ZoneTokenKeySource {
  readonly keys = new Map<number, VerificationKey>();
  readonly revoked = new Set<string>();
  async add(kid: number, pem: string): Promise<void> {
    this.keys.set(kid, importVerificationKey(parsePrivateKey(pem, `test key ${kid}`)));
  }
  verificationKeys(kid: number): VerificationKey[] {
    const k = this.keys.get(kid);
    return k ? [k] : [];
  }
  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }
}

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A compact JWS signed RS256 with node:crypto directly (or unsigned / HMAC when asked). */
export function rawJws(header: Record<string, unknown>, payload: unknown, how: { rsaPem?: string; hmacSecret?: string | Buffer } = {}): string {
  const input = `${b64(header)}.${b64(payload)}`;
  if (how.hmacSecret !== undefined) return `${input}.${createHmac('sha256', how.hmacSecret).update(input).digest('base64url')}`;
  if (how.rsaPem === undefined) return `${input}.`;
  return `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(how.rsaPem)).toString('base64url')}`;
}

export const NOW = Date.parse('2026-01-01T00:00:00Z');
export const nowSeconds = Math.floor(NOW / 1000);

/** Kuma-shaped claims around NOW. */
export function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { Zone: 'zone-1', Scope: ['egress'], exp: nowSeconds + 3600, nbf: nowSeconds - 5, iat: nowSeconds - 5, jti: 'c2b9a4b4-6f0e-4c1b-9d4a-1f2e3d4c5b6a', ...over };
}
