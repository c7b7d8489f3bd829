/**
 * Where the verifier gets public keys and the revocation list. The control plane's source reads
 * global secrets from its store (src/control-plane/tokens/key-source.ts); the static source here
 * serves `--zone-token-public-key kid=FILE` and `inspect zone-token --public-key`.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, ValidationError } from '../core/errors.js';
import { importVerificationKey, parsePublicKey } from './keys.js';
import type { VerificationKey } from './types.js';

export interface ZoneTokenKeySource {
  /**
   * The keys that may have signed a token with this `kid`; empty when none is known. Several
   * when e.g. a stored signing key and a static public key share a serial: any one may verify.
   * Must be cheap on the hot path: return cached, already imported keys.
   */
  verificationKeys(kid: number): Promise<readonly VerificationKey[]> | readonly VerificationKey[];
  /** The message for an unknown kid, naming where keys come from and what to do. */
  describeMissingKey?(kid: number): string;
  /** True when the token id is revoked. Absent: revocation is not checked (offline use). */
  isRevoked?(jti: string): Promise<boolean> | boolean;
}

export interface StaticPublicKey {
  kid: number;
  /** PEM (PKCS#1 or PKIX) or a private key, whose public half is used. */
  pem: string | Buffer;
  /** Names the origin in errors, e.g. `public key file kuma.pem`. */
  what: string;
}

/** A key source over fixed public keys (imported once, here). */
export async function staticKeySource(keys: readonly StaticPublicKey[]): Promise<ZoneTokenKeySource> {
  const byKid = new Map<number, VerificationKey[]>();
  for (const k of keys) {
    const imported = importVerificationKey(parsePublicKey(k.pem, k.what));
    byKid.set(k.kid, [...(byKid.get(k.kid) ?? []), imported]);
  }
  const known = [...byKid.keys()].sort((a, b) => a - b);
  return {
    verificationKeys: (kid) => byKid.get(kid) ?? [],
    describeMissingKey: (kid) =>
      `there is no public key with serial number ${kid} (kid "${kid}"); known serials: ${known.join(', ') || 'none'}. Pass the public key of signing key ${kid}`,
  };
}

/** Several sources as one: keys of all, the first source's missing-key message, revoked if any says so. */
export function combineKeySources(...sources: ZoneTokenKeySource[]): ZoneTokenKeySource {
  if (sources.length === 1) return sources[0];
  const revokers = sources.filter((s) => s.isRevoked);
  return {
    async verificationKeys(kid) {
      const all = await Promise.all(sources.map((s) => s.verificationKeys(kid)));
      return all.flat();
    },
    describeMissingKey: sources.find((s) => s.describeMissingKey)?.describeMissingKey,
    ...(revokers.length > 0
      ? {
          async isRevoked(jti: string) {
            for (const s of revokers) if (await s.isRevoked!(jti)) return true;
            return false;
          },
        }
      : {}),
  };
}

/** Parses `kid=FILE` (the `--zone-token-public-key` flag value). */
export function parsePublicKeyFlag(value: string): { kid: number; path: string } {
  const m = /^([1-9]\d{0,8})=(.+)$/.exec(value);
  if (!m) {
    throw new UsageError(`--zone-token-public-key ${JSON.stringify(value)} must be KID=FILE, e.g. 1=/etc/zonectl/kuma-public-key.pem`);
  }
  return { kid: Number(m[1]), path: m[2] };
}

/** Reads a public key file; a missing or unreadable file is a usage error naming the flag. */
export async function readPublicKeyFile(path: string, kid: number, flag: string): Promise<StaticPublicKey> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    parsePublicKey(pem, `public key file ${path}`);
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
  return { kid, pem, what: `public key file ${path}` };
}
