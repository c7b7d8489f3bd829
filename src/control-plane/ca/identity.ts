/**
 * Identity certificates of the egress, one per mesh (URI SAN `spiffe://<mesh>/zone-egress`),
 * issued from the mesh CA and reissued before they expire: at 80% of their lifetime
 * (`dpCert.rotation.expiration`), or at once when the mesh CA changes. Every egress of this
 * control plane shares the identity of a mesh, as they all play the same role.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { issueCertificate } from '../../core/pki.js';
import type { MeshIdentity } from '../../resources/egress-config.js';
import type { MeshCa } from './mesh-ca.js';

export const EGRESS_SPIFFE_PATH = 'zone-egress';
/** Share of the lifetime after which an identity is reissued (Kuma rotates at 4/5 too). */
const ROTATE_AT = 0.8;
/** Backdating of notBefore, for peers whose clocks run a little behind. */
const BACKDATE_MS = 60_000;

export interface IssuedIdentity extends MeshIdentity {
  /** When this identity is to be replaced. */
  rotateAt: Date;
  notAfter: Date;
}

export function egressSpiffeId(mesh: string): string {
  return `spiffe://${mesh}/${EGRESS_SPIFFE_PATH}`;
}

interface Entry {
  fingerprint: string;
  lifetimeMs: number;
  pending: Promise<IssuedIdentity>;
  value?: IssuedIdentity;
}

export class IdentityIssuer {
  private readonly cache = new Map<string, Entry>();
  private readonly clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** The current identity for the CA's mesh, issuing a new one when due. Concurrent callers share one issuance. */
  identity(ca: MeshCa, lifetimeMs: number): Promise<IssuedIdentity> {
    const hit = this.cache.get(ca.mesh);
    const now = this.clock.now().getTime();
    if (hit && hit.fingerprint === ca.fingerprint && hit.lifetimeMs === lifetimeMs && (!hit.value || hit.value.rotateAt.getTime() > now)) return hit.pending;
    return this.issue(ca, lifetimeMs);
  }

  /** Forgets meshes that no longer have mTLS. */
  retain(meshes: Set<string>): void {
    for (const m of this.cache.keys()) if (!meshes.has(m)) this.cache.delete(m);
  }

  private issue(ca: MeshCa, lifetimeMs: number): Promise<IssuedIdentity> {
    const now = this.clock.now();
    const entry: Entry = { fingerprint: ca.fingerprint, lifetimeMs, pending: Promise.resolve(undefined as unknown as IssuedIdentity) };
    entry.pending = (async () => {
      const pair = await issueCertificate({
        ca: { certPem: ca.certPem, keyPem: ca.keyPem },
        commonName: egressSpiffeId(ca.mesh),
        uris: [egressSpiffeId(ca.mesh)],
        usage: 'both',
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        validForMs: lifetimeMs + BACKDATE_MS,
      });
      const value: IssuedIdentity = {
        mesh: ca.mesh,
        certPem: pair.certPem,
        keyPem: pair.keyPem,
        caPem: ca.certPem,
        rotateAt: new Date(now.getTime() + Math.floor(lifetimeMs * ROTATE_AT)),
        notAfter: new Date(now.getTime() + lifetimeMs),
      };
      entry.value = value;
      return value;
    })();
    this.cache.set(ca.mesh, entry);
    // A failed issuance must not stick: the next call tries again.
    entry.pending.catch(() => this.cache.get(ca.mesh) === entry && this.cache.delete(ca.mesh));
    return entry.pending;
  }
}
