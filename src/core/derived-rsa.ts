/**
 * An RSA key derived deterministically from a secret seed: the same seed always gives the same
 * key. `zonectl install control-plane --signing-key-path` derives the dp-server CA's key from the
 * zone-token signing key this way, so that its output is byte-for-byte reproducible (RSA
 * PKCS#1 v1.5 signatures are deterministic too; Node's key generation cannot take a seed).
 *
 * Primes come from an HMAC-SHA256 stream over the seed (a DRBG in counter mode), are tested by
 * trial division and 8 Miller-Rabin rounds with stream-derived bases, and must satisfy
 * gcd(p-1, e) = 1 and |p-q| large, as FIPS 186-5 B.3 asks of generated primes.
 */
import { createHmac, createPrivateKey, type KeyObject } from 'node:crypto';

const E = 65537n;
// FIPS 186-5 Table B.1: 5 rounds suffice for random 1024-bit candidates (error < 2^-100); 8 for margin.
const MR_ROUNDS = 8;
const SMALL_PRIMES = (() => {
  const out: number[] = [];
  for (let n = 3; out.length < 2000; n += 2) if (out.every((p) => n % p !== 0)) out.push(n);
  return out.map(BigInt);
})();

class Stream {
  private counter = 0;
  constructor(
    private readonly seed: Buffer,
    private readonly label: string,
  ) {}
  bytes(n: number): Buffer {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHmac('sha256', this.seed).update(`${this.label}/${this.counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  }
  bigint(bits: number): bigint {
    return BigInt(`0x${this.bytes(bits / 8).toString('hex')}`);
  }
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

function isProbablePrime(n: bigint, s: Stream): boolean {
  for (const p of SMALL_PRIMES) if (n % p === 0n) return n === p;
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  const bits = n.toString(2).length;
  for (let i = 0; i < MR_ROUNDS; i++) {
    const a = 2n + (s.bigint(bits + 64 - ((bits + 64) % 8)) % (n - 3n));
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let j = 1; j < r; j++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function prime(bits: number, s: Stream): bigint {
  for (;;) {
    // Top two bits set (so p*q has exactly 2*bits bits), odd.
    const candidate = s.bigint(bits) | (3n << BigInt(bits - 2)) | 1n;
    if (gcd(candidate - 1n, E) === 1n && isProbablePrime(candidate, s)) return candidate;
  }
}

// Minimal DER for the PKCS#1 RSAPrivateKey structure (RFC 8017 A.1.2).
function derInteger(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let body = Buffer.from(hex, 'hex');
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Contract: the same (seed, label, bits) always returns the same RSA private key (e = 65537). */
export function deriveRsaKey(seed: Buffer, label: string, bits = 2048): KeyObject {
  const s = new Stream(seed, label);
  const half = bits / 2;
  let p: bigint;
  let q: bigint;
  do {
    p = prime(half, s);
    q = prime(half, s);
    // |p - q| must not be small (Fermat factoring): at least 2^(half-100).
  } while ((p > q ? p - q : q - p) < 1n << BigInt(half - 100));
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  const d = modInverse(E, phi);
  const fields = [0n, n, E, d, p, q, d % (p - 1n), d % (q - 1n), modInverse(q, p)].map(derInteger);
  const body = Buffer.concat(fields);
  const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
}
