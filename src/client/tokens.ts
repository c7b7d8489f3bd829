/**
 * Zone-token calls on a control plane: mint (`POST /tokens/zone`, Kuma's endpoint, so it works
 * against kuma-cp too), verify (`POST /tokens/zone/verify`, zonectl's own) and revoke (append
 * to the `zone-token-revocations` global secret with If-Match, retrying on a concurrent change).
 */
import { isZonectlError, NotFoundError, PreconditionFailedError, UsageError } from '../core/errors.js';
import { addRevocation, REVOCATIONS_SECRET, type TokenRejectReason } from '../tokens/index.js';
import type { ApiClient } from './api-client.js';
import { getIndex } from './system.js';

export interface ZoneTokenMintRequest {
  zone: string;
  scope: string[];
  /** Go duration; omitted = let the server decide (zonectl's refuses unless unbounded tokens are allowed). */
  validFor?: string;
}

/** Prefixes the error's message with what was being done; the class (and exit code) stays. */
function inContext<T>(what: string, p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (isZonectlError(err)) err.message = `${what}: ${err.message}`;
    throw err;
  });
}

export function requestZoneToken(client: ApiClient, req: ZoneTokenMintRequest): Promise<string> {
  return inContext(
    'failed to generate a zone token',
    client.request('POST', '/tokens/zone', { body: req, accept: 'text/plain' }).then((res) => res.body.trim()),
  );
}

/**
 * The zone to mint for when the user gave none: the control plane's own (`GET /` of zonectl's
 * control plane names it). A kuma-cp does not say its zone, so there `--zone` stays required.
 */
export function controlPlaneZone(client: ApiClient): Promise<string> {
  return inContext(
    'failed to generate a zone token',
    getIndex(client).then((index) => {
      if (typeof index.zone === 'string' && index.zone !== '') return index.zone;
      throw new UsageError(`--zone is required: the control plane at ${client.baseUrl} does not say which zone it runs in; pass --zone <zone> (as kumactl requires)`);
    }),
  );
}

export type ZoneTokenVerdict =
  | { valid: true; kid: number; zone: string; scope: string[]; jti: string; exp: number }
  | { valid: false; reason: TokenRejectReason; message: string };

export async function verifyZoneTokenOnline(client: ApiClient, token: string, scope?: string): Promise<ZoneTokenVerdict> {
  try {
    return await client.requestJson<ZoneTokenVerdict>('POST', '/tokens/zone/verify', { body: { token, ...(scope ? { scope } : {}) } });
  } catch (err) {
    if (err instanceof NotFoundError) {
      err.message = `the control plane at ${client.baseUrl} cannot verify tokens (POST /tokens/zone/verify is zonectl's; kuma-cp has none): verify offline with --public-key FILE`;
    }
    throw err;
  }
}

export interface RevokeResult {
  jti: string;
  /** False when the id was already revoked. */
  added: boolean;
}

const RETRIES = 5;

/** Adds a token id to `zone-token-revocations`, creating the secret when it does not exist. */
export function revokeZoneTokenId(client: ApiClient, jti: string): Promise<RevokeResult> {
  return inContext('failed to revoke the zone token', revoke(client, jti, RETRIES));
}

async function revoke(client: ApiClient, jti: string, retries: number): Promise<RevokeResult> {
  const path = `/global-secrets/${REVOCATIONS_SECRET}`;
  let current = '';
  let etag: string | undefined;
  try {
    const res = await client.request('GET', path);
    const secret = JSON.parse(res.body) as { data?: string };
    current = Buffer.from(secret.data ?? '', 'base64').toString('utf8');
    etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const next = addRevocation(current, jti);
  if (!next.added) return { jti, added: false };
  try {
    await client.request('PUT', path, {
      body: { type: 'GlobalSecret', name: REVOCATIONS_SECRET, data: Buffer.from(next.data).toString('base64') },
      headers: etag ? { 'if-match': etag } : undefined,
    });
  } catch (err) {
    // Someone else revoked a token in between: read again and re-apply ours.
    if (err instanceof PreconditionFailedError && retries > 0) return revoke(client, jti, retries - 1);
    throw err;
  }
  return { jti, added: true };
}
