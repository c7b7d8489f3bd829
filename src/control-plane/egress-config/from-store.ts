/**
 * Reads what the egress snapshot depends on from the store, makes sure every mTLS mesh has its
 * CA and a current egress identity, and runs the pure generator. One instance per control plane
 * process: it owns the identity cache, so identities stay stable between recomputations (and so
 * does the snapshot version) until they are due for rotation.
 */
import type { Logger } from '../../core/log.js';
import { silentLogger } from '../../core/log.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { MeshIdentity } from '../../resources/egress-config.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';
import { loadSecrets } from '../ca/data-source.js';
import { IdentityIssuer } from '../ca/identity.js';
import { dpCertExpirationMs, enabledBackend, ensureMeshCa } from '../ca/mesh-ca.js';
import { generateEgressSnapshot, type GenerateResult } from './generate.js';

/** The resource types a snapshot depends on: a change to any of them triggers a recomputation. */
export const SNAPSHOT_INPUT_TYPES: ReadonlySet<string> = new Set(['Mesh', 'ZoneIngress', 'ExternalService', 'GlobalSecret', 'MeshTrafficPermission', 'MeshAccessLog']);

export interface ComputedSnapshot extends GenerateResult {
  /** Earliest identity rotation: recompute no later than this. */
  nextRotation?: Date;
}

export interface EgressConfigSourceOptions {
  store: Store;
  zone: string;
  clock?: Clock;
  logger?: Logger;
  /** Create missing builtin mesh CAs (default true; false on a zone, whose CAs come from the global). */
  createMeshCa?: boolean;
}

export class EgressConfigSource {
  private readonly issuer: IdentityIssuer;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** Warnings of the last computation: logged once when they appear, not at every recomputation. */
  private lastWarnings = new Set<string>();

  constructor(private readonly opts: EgressConfigSourceOptions) {
    this.clock = opts.clock ?? systemClock;
    this.issuer = new IdentityIssuer({ clock: this.clock });
    this.log = opts.logger ?? silentLogger();
  }

  async compute(): Promise<ComputedSnapshot> {
    const { store, zone } = this.opts;
    const [meshes, zoneIngresses, externalServices, secrets, trafficPermissions, accessLogs] = await Promise.all([
      listAll(store, 'Mesh'),
      listAll(store, 'ZoneIngress'),
      listAll(store, 'ExternalService'),
      loadSecrets(store),
      listAll(store, 'MeshTrafficPermission'),
      listAll(store, 'MeshAccessLog'),
    ]);
    const identities = new Map<string, MeshIdentity>();
    let nextRotation: Date | undefined;
    const mtlsMeshes = meshes.filter((m) => enabledBackend(m) !== undefined);
    this.issuer.retain(new Set(mtlsMeshes.map((m) => m.name)));
    await Promise.all(
      mtlsMeshes.map(async (mesh) => {
        try {
          const ca = await ensureMeshCa(store, mesh, { clock: this.clock, create: this.opts.createMeshCa });
          if (!ca) {
            this.log.warn({ mesh: mesh.name }, 'mesh left out of the egress config: its CA has not been synced from the global yet');
            return;
          }
          const id = await this.issuer.identity(ca, dpCertExpirationMs(enabledBackend(mesh)!));
          identities.set(mesh.name, id);
          if (!nextRotation || id.rotateAt < nextRotation) nextRotation = id.rotateAt;
        } catch (err) {
          // One broken mesh (e.g. a provided CA whose secret was deleted) must not starve the others.
          this.log.warn({ mesh: mesh.name, err: (err as Error).message }, 'mesh left out of the egress config: its CA is not usable');
        }
      }),
    );
    const result = generateEgressSnapshot({ zone, meshes, zoneIngresses, externalServices, identities, secrets, trafficPermissions, accessLogs });
    for (const w of result.warnings) if (!this.lastWarnings.has(w)) this.log.warn(w);
    this.lastWarnings = new Set(result.warnings);
    return { ...result, nextRotation };
  }
}

async function listAll(store: Store, type: string): Promise<Resource[]> {
  return (await store.list({ type })).items.map((i) => i.resource);
}
