/**
 * The offline halves of the token commands (no control plane): minting with a local signing
 * key, printing a public key, reading a token argument, and verifying with a local public key.
 * Errors name the flag the user has to fix.
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { parseGoDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { decodeToken } from './decode.js';
import { isTokenError } from './errors.js';
import { describeZoneToken, type ZoneTokenInfo } from './inspect.js';
import { issueZoneTokenOffline } from './issue.js';
import { staticKeySource } from './key-source.js';
import { parsePrivateKey, publicKeyPem, type PublicKeyFormat } from './keys.js';
import type { ZoneTokenScope } from './types.js';
import { createZoneTokenVerifier } from './verify.js';

export async function readKeyFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** `--valid-for` in Go syntax, in ms; undefined when absent. */
export function parseValidForFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 1000) {
    throw new UsageError(`--valid-for ${JSON.stringify(text)} is not a duration of at least 1s; use Go syntax such as 720h, 24h or 1h30m`);
  }
  return ms;
}

export interface OfflineMintOptions {
  zone: string;
  scope: ZoneTokenScope[];
  validFor?: string;
  signingKeyPath: string;
  kid: number;
  clock?: Clock;
}

/** `generate zone-token --signing-key-path F --kid N`: the token the control plane would sign with key N. */
export async function mintZoneTokenOffline(opts: OfflineMintOptions): Promise<string> {
  const validForMs = parseValidForFlag(opts.validFor);
  if (validForMs === undefined) {
    throw new UsageError('--valid-for is required with --signing-key-path: pass how long the token is valid, e.g. --valid-for 720h (zonectl does not mint tokens that never expire)');
  }
  const pem = await readKeyFile(opts.signingKeyPath, '--signing-key-path');
  return issueZoneTokenOffline({ zone: opts.zone, scope: [...new Set(opts.scope)], validForMs }, pem, opts.kid, {
    clock: opts.clock,
    what: `signing key file ${opts.signingKeyPath}`,
  });
}

/** `generate public-key --signing-key-path F`: PKCS#1 PEM like kumactl, or PKIX. */
export async function publicKeyOfFile(path: string, format: PublicKeyFormat): Promise<string> {
  const pem = await readKeyFile(path, '--signing-key-path');
  return publicKeyPem(parsePrivateKey(pem, `signing key file ${path}`), format);
}

/** A token argument: the text itself, or `-` for stdin (a token file piped in). */
export async function readTokenInput(arg: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (arg !== '-') return arg.trim();
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') throw new UsageError('no token on stdin: pipe one in (zonectl inspect zone-token - < egress.token) or pass it as the argument');
  return text;
}

export interface OfflineVerifyOptions {
  publicKeyPath: string;
  scope?: ZoneTokenScope;
  /** Check the token's Zone against this zone (as the control plane of that zone would). */
  zone?: string;
  clock: Clock;
}

/** Decodes and verifies with a local public key; the verdict goes into the info (no throw on a bad token). */
export async function inspectWithPublicKey(token: string, opts: OfflineVerifyOptions): Promise<ZoneTokenInfo> {
  const info = describeZoneToken(token, opts.clock);
  const pem = await readKeyFile(opts.publicKeyPath, '--public-key');
  // The file is the key for whatever serial the token names: the user picked it for this token.
  const kid = decodeToken(token).header.kid;
  const serial = typeof kid === 'string' && /^\d{1,9}$/.test(kid) ? Number(kid) : 0;
  const keySource = await staticKeySource([{ kid: serial, pem, what: `public key file ${opts.publicKeyPath}` }]);
  const checkedBy = `public key ${opts.publicKeyPath}`;
  try {
    await createZoneTokenVerifier({ keySource, zone: opts.zone, clock: opts.clock }).verify(token, opts.scope);
    return { ...info, verification: { valid: true, checkedBy, revocationChecked: false } };
  } catch (err) {
    if (!isTokenError(err)) throw err;
    return { ...info, verification: { valid: false, checkedBy, revocationChecked: false, reason: err.reason, message: err.message } };
  }
}
