/**
 * Who is an admin: callers from localhost (Kuma's `localhostIsAdmin`, on by default) and callers
 * presenting the admin token. "Localhost" means the loopback addresses 127.0.0.1 and ::1 exactly,
 * as in Kuma; other 127.0.0.0/8 addresses count as remote (tests use 127.0.0.2 for that).
 * The token lives in <data-dir>/admin-token (mode 0600), created at first start.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCALHOST = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function isLocalhost(address: string): boolean {
  return LOCALHOST.has(address);
}

export class AdminAuth {
  private readonly digest: Buffer;

  constructor(
    token: string,
    private readonly localhostIsAdmin: boolean,
  ) {
    this.digest = sha256(token);
  }

  isAdmin(remoteAddress: string, authorization: string | undefined): boolean {
    if (this.localhostIsAdmin && isLocalhost(remoteAddress)) return true;
    if (!authorization) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Compare digests: equal length always, so timingSafeEqual's time says nothing about the token.
    return m !== null && timingSafeEqual(sha256(m[1]), this.digest);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Reads <dataDir>/admin-token, creating it (mode 0600) on first start. */
export function loadOrCreateAdminToken(dataDir: string): string {
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
