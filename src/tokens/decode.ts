/**
 * Structural decoding of a zone token, without trusting it: used by the verifier before it checks
 * the signature (to pick the key and give precise reasons) and by `inspect zone-token`.
 */
import { TokenError } from './errors.js';
import type { ZoneTokenHeader } from './types.js';

/** Zone tokens are ~600 bytes; anything near this is not one, and is refused before decoding. */
export const MAX_TOKEN_LENGTH = 8192;

const SEGMENT = /^[A-Za-z0-9_-]*$/;

export interface DecodedToken {
  header: ZoneTokenHeader;
  /** The payload parsed as JSON (unvalidated). */
  payload: unknown;
  signature: Buffer;
}

/** Splits and decodes a compact JWS; throws TokenError too-large / malformed / truncated. */
export function decodeToken(raw: string): DecodedToken {
  const token = raw.trim();
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new TokenError('too-large', `token is too large: ${token.length} characters, a zone token has far fewer than ${MAX_TOKEN_LENGTH} (is this the right file?)`);
  }
  if (token === '') throw new TokenError('malformed', 'token is empty: pass the token text, or - to read it from stdin');
  const parts = token.split('.');
  if (parts.length > 3 || !parts.every((p) => SEGMENT.test(p))) {
    throw new TokenError('malformed', 'token is not a JWT: expected three base64url segments separated by dots');
  }
  const header = parseSegment(parts[0]);
  if (!isHeader(header)) {
    const why = parts.length < 3 ? `expected three base64url segments separated by dots, got ${parts.length}` : 'its first segment is not a JSON header with "alg"';
    throw new TokenError('malformed', `token is not a JWT: ${why}`);
  }
  if (parts.length < 3) {
    throw new TokenError('truncated', `token is truncated: it has ${parts.length} of 3 segments (was it copied completely?)`);
  }
  const payload = parseSegment(parts[1]);
  if (payload === undefined) {
    // A cut inside the payload leaves base64 that no longer decodes to JSON.
    throw new TokenError('malformed', 'token is not a JWT: its payload is not base64url-encoded JSON');
  }
  if (parts[2].length % 4 === 1) {
    throw new TokenError('truncated', 'token is truncated: its signature is not a whole number of bytes (was it copied completely?)');
  }
  return { header, payload, signature: Buffer.from(parts[2], 'base64url') };
}

function parseSegment(segment: string): unknown {
  if (segment === '') return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isHeader(v: unknown): v is ZoneTokenHeader {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { alg?: unknown }).alg === 'string';
}
