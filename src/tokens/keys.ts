/**
 * Signing keys in Kuma's format: RSA 2048, PEM PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), stored
 * base64-encoded in a global secret's `data`. Public keys are accepted as PKCS#1 or PKIX PEM.
 * Parsed and imported keys are what the issuer and verifier use; parsing costs far more than a
 * verification, so callers cache them (see key-source.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { importPKCS8 } from 'jose';
import { ValidationError } from '../core/errors.js';
import type { SigningCryptoKey, VerificationKey } from './types.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Kuma's key size; smaller keys are refused when imported. */
export const SIGNING_KEY_BITS = 2048;

export type SigningKeyFormat = 'pem' | 'pem-base64';
export type PublicKeyFormat = 'pkcs1' | 'pkix';

/** A new signing key as PEM PKCS#1 (what Kuma stores and `kumactl generate signing-key` prints). */
export async function generateSigningKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: SIGNING_KEY_BITS, publicExponent: 0x10001 });
  return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

export function formatSigningKey(pem: string, format: SigningKeyFormat): string {
  return format === 'pem-base64' ? Buffer.from(pem).toString('base64') : pem;
}

/**
 * Key material as users and Kuma hand it over: PEM, base64 of PEM (a secret's `data`, or
 * `generate signing-key --format pem-base64`), or base64 of PKCS#1 DER (Kuma's pre-PEM keys).
 */
function keyInput(text: string | Buffer): { pem: string } | { der: Buffer } {
  const s = Buffer.isBuffer(text) ? text.toString('utf8') : text;
  if (s.includes('-----BEGIN')) return { pem: s };
  const decoded = Buffer.from(s.trim(), 'base64');
  const asText = decoded.toString('utf8');
  if (asText.includes('-----BEGIN')) return { pem: asText };
  return { der: decoded };
}

/** Parses an RSA private key; `what` names its origin in the error (`signing key file k.pem`). */
export function parsePrivateKey(text: string | Buffer, what: string): KeyObject {
  let key: KeyObject;
  try {
    const input = keyInput(text);
    key = 'pem' in input ? createPrivateKey(input.pem) : createPrivateKey({ key: input.der, format: 'der', type: 'pkcs1' });
  } catch {
    throw new ValidationError(`${what} is not an RSA private key in PEM (generate one with 'zonectl generate signing-key')`);
  }
  return checkRsa(key, what);
}

/** Parses an RSA public key (PKCS#1 or PKIX), or takes the public half of a private key. */
export function parsePublicKey(text: string | Buffer, what: string): KeyObject {
  let key: KeyObject;
  try {
    const input = keyInput(text);
    key = 'pem' in input ? createPublicKey(input.pem) : createPublicKey({ key: input.der, format: 'der', type: 'pkcs1' });
  } catch {
    throw new ValidationError(
      `${what} is not an RSA public key in PEM, PKCS#1 or PKIX (print one with 'zonectl generate public-key --signing-key-path FILE')`,
    );
  }
  return checkRsa(key, what);
}

function checkRsa(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ValidationError(`${what} is a ${key.asymmetricKeyType ?? 'non-RSA'} key; zone tokens are signed with RSA (RS256)`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < SIGNING_KEY_BITS) {
    throw new ValidationError(`${what} is a ${bits}-bit RSA key; zone tokens need at least ${SIGNING_KEY_BITS} bits`);
  }
  return key;
}

/** The public key of a private (or public) key as PEM: PKCS#1 like kumactl, or PKIX. */
export function publicKeyPem(key: KeyObject, format: PublicKeyFormat = 'pkcs1'): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: format === 'pkcs1' ? 'pkcs1' : 'spki', format: 'pem' }).toString();
}

/** The key that verifies RS256 signatures: the public half of a public or private KeyObject. */
export function importVerificationKey(key: KeyObject): VerificationKey {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** A CryptoKey that signs RS256. */
export async function importSigningKey(key: KeyObject): Promise<SigningCryptoKey> {
  if (key.type !== 'private') throw new ValidationError('a signing key must be a private key');
  return importPKCS8(key.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
}
