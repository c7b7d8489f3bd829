/**
 * What one zone token may do at the dp-server. A token is a bearer credential that any number of
 * egress replicas may share, so it is not bound to one name; but
 * - a name whose config stream is live belongs to the token that opened it: a bootstrap or a
 *   stream for that name with another token (another jti) is refused (409) until it disconnects,
 *   so one token holder cannot take over another egress's stream and its `inspect` address;
 * - one token registers at most `maxEgressesPerToken` distinct names (per control plane process);
 * - bootstraps are rate-limited per token (token bucket), so a token cannot flood the store.
 * State is in memory: it protects this instance; a restart forgets it (streams reconnect anyway).
 */
import { createHash } from 'node:crypto';
import { ConflictError, ForbiddenError, TooManyRequestsError } from '../../core/errors.js';

export interface RegistrationLimits {
  /** Distinct ZoneEgress names one token may register (default 100). */
  maxEgressesPerToken: number;
  /** Bootstraps one token may send at once (default 20) ... */
  bootstrapBurst: number;
  /** ... and per second after that (default 5). */
  bootstrapsPerSecond: number;
}

export const REGISTRATION_DEFAULTS: RegistrationLimits = { maxEgressesPerToken: 100, bootstrapBurst: 20, bootstrapsPerSecond: 5 };

/** A stable id of the token: its `jti` when the verifier returned claims, else a hash of the token. */
export function tokenIdOf(auth: unknown, token: string): string {
  const jti = (auth as { claims?: { jti?: unknown }; jti?: unknown } | undefined)?.claims?.jti ?? (auth as { jti?: unknown } | undefined)?.jti;
  return typeof jti === 'string' && jti !== '' ? `jti ${jti}` : `sha256 ${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class Registrations {
  private readonly limits: RegistrationLimits;
  private readonly owners = new Map<string, { tokenId: string; streams: number }>();
  private readonly names = new Map<string, Set<string>>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    limits: Partial<RegistrationLimits> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.limits = { ...REGISTRATION_DEFAULTS, ...limits };
  }

  /** Takes one bootstrap from the token's bucket, or throws 429. */
  admitBootstrap(tokenId: string): void {
    const { bootstrapBurst: burst, bootstrapsPerSecond: rate } = this.limits;
    const t = this.now();
    const b = this.buckets.get(tokenId) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    this.buckets.set(tokenId, b);
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / rate));
      throw new TooManyRequestsError(`too many bootstraps with this zone token (${tokenId}): at most ${burst} at once and ${rate} per second; retry in ${wait} s`, wait);
    }
    b.tokens -= 1;
  }

  /** Throws 409 when `name` has a live config stream opened with another token. */
  checkOwner(name: string, tokenId: string): void {
    const o = this.owners.get(name);
    if (o && o.streams > 0 && o.tokenId !== tokenId) {
      throw new ConflictError(`zone egress ${name} is connected with another zone token; a second egress cannot register under its name while it is connected (give this one its own name)`);
    }
  }

  /** Records that the token registered `name`; beyond the per-token cap of distinct names, 403 (retrying cannot help). */
  register(name: string, tokenId: string): void {
    let set = this.names.get(tokenId);
    if (set?.has(name)) return;
    if (set && set.size >= this.limits.maxEgressesPerToken) {
      throw new ForbiddenError(`this zone token (${tokenId}) already registered ${set.size} zone egresses, the most one token may register; generate another token for more`);
    }
    if (!set) this.names.set(tokenId, (set = new Set()));
    set.add(name);
  }

  streamOpened(name: string, tokenId: string): void {
    const o = this.owners.get(name);
    if (o && o.tokenId === tokenId) o.streams++;
    else this.owners.set(name, { tokenId, streams: 1 });
  }

  streamClosed(name: string, tokenId: string): void {
    const o = this.owners.get(name);
    if (!o || o.tokenId !== tokenId) return;
    if (--o.streams <= 0) this.owners.delete(name);
  }
}
