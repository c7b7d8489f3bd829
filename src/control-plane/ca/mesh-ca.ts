/**
 * The mesh CA: for a Mesh whose `mtls.enabledBackend` is set, the key pair that signs every
 * identity in that mesh. `builtin` backends get a CA created on first use and kept as two
 * GlobalSecrets named like Kuma's (`<mesh>.ca-builtin-cert-<backend>`, `<mesh>.ca-builtin-key-<backend>`);
 * `provided` backends read cert and key from data sources and must be a CA pair.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type Violation } from '../../core/errors.js';
import { parseGoDuration } from '../../core/duration.js';
import { createCA } from '../../core/pki.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';
import { resolveDataSource } from './data-source.js';

export interface CaBackend {
  name: string;
  type: string;
  dpCert?: { rotation?: { expiration?: string } };
  conf?: Record<string, unknown>;
}

export interface MeshCa {
  mesh: string;
  backend: string;
  type: string;
  certPem: string;
  keyPem: string;
  /** SHA-256 of the CA certificate: identities are reissued when it changes. */
  fingerprint: string;
}

/** Kuma's defaults for a builtin CA: RSA 2048, ten years. */
export const BUILTIN_DEFAULT_RSA_BITS = 2048;
export const BUILTIN_DEFAULT_EXPIRATION = '87600h';
/** `dpCert.rotation.expiration` default (Kuma's). */
export const DEFAULT_DP_CERT_EXPIRATION = '24h';

export const CHANGE_CA_MESSAGE = 'Changing CA when mTLS is enabled is forbidden. Disable mTLS first and then change a CA';

function backends(mesh: Resource): CaBackend[] {
  const mtls = mesh.mtls as { backends?: unknown } | undefined;
  return Array.isArray(mtls?.backends) ? (mtls.backends as CaBackend[]) : [];
}

/** The enabled CA backend, or undefined when mTLS is off (no `mtls.enabledBackend`). */
export function enabledBackend(mesh: Resource): CaBackend | undefined {
  const name = (mesh.mtls as { enabledBackend?: unknown } | undefined)?.enabledBackend;
  if (typeof name !== 'string' || name === '') return undefined;
  return backends(mesh).find((b) => b.name === name);
}

export function mtlsEnabled(mesh: Resource): boolean {
  return enabledBackend(mesh) !== undefined;
}

/** Lifetime of identity certificates in this mesh, in ms (`dpCert.rotation.expiration`, default 24h). */
export function dpCertExpirationMs(backend: CaBackend): number {
  const text = backend.dpCert?.rotation?.expiration ?? DEFAULT_DP_CERT_EXPIRATION;
  const ms = parseGoDuration(text);
  return ms !== undefined && ms > 0 ? ms : (parseGoDuration(DEFAULT_DP_CERT_EXPIRATION) as number);
}

export function builtinSecretNames(mesh: string, backend: string): { cert: string; key: string } {
  return { cert: `${mesh}.ca-builtin-cert-${backend}`, key: `${mesh}.ca-builtin-key-${backend}` };
}

function fingerprint(certPem: string): string {
  return createHash('sha256').update(certPem).digest('hex');
}

function secretResource(name: string, text: string): Resource {
  return { type: 'GlobalSecret', name, data: Buffer.from(text, 'utf8').toString('base64') };
}

async function readSecret(store: Store, name: string): Promise<string | undefined> {
  try {
    const got = await store.get({ type: 'GlobalSecret', name });
    return Buffer.from(String(got.resource.data ?? ''), 'base64').toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

function builtinOptions(backend: CaBackend): { bits: number; validForMs: number } {
  const caCert = (backend.conf?.caCert ?? {}) as { RSAbits?: unknown; expiration?: unknown };
  const bits = typeof caCert.RSAbits === 'number' && caCert.RSAbits >= 2048 ? caCert.RSAbits : BUILTIN_DEFAULT_RSA_BITS;
  const exp = typeof caCert.expiration === 'string' ? parseGoDuration(caCert.expiration) : undefined;
  return { bits, validForMs: exp !== undefined && exp > 0 ? exp : (parseGoDuration(BUILTIN_DEFAULT_EXPIRATION) as number) };
}

export interface EnsureOptions {
  clock?: Clock;
  /**
   * Create a missing builtin CA (default true). A zone control plane passes false: its mesh CAs
   * come from the global, so that identities of every zone chain to one CA per mesh.
   */
  create?: boolean;
}

/**
 * Returns the CA of the mesh's enabled backend, creating a builtin one when it does not exist
 * yet; undefined when mTLS is off. Safe to call from several places and instances at once: the
 * creation runs under the store's lock and a lost create race reads the winner's CA.
 */
export async function ensureMeshCa(store: Store, mesh: Resource, opts: EnsureOptions = {}): Promise<MeshCa | undefined> {
  const backend = enabledBackend(mesh);
  if (!backend) return undefined;
  if (backend.type === 'provided') {
    const { certPem, keyPem } = await loadProvided(store, mesh, backend);
    return { mesh: mesh.name, backend: backend.name, type: 'provided', certPem, keyPem, fingerprint: fingerprint(certPem) };
  }
  if (backend.type !== 'builtin') {
    throw new ValidationError(`mesh ${mesh.name}: CA backend type ${backend.type} is not supported`, [{ field: 'mtls.backends', message: `unsupported CA backend type ${JSON.stringify(backend.type)}: use builtin or provided` }]);
  }
  const names = builtinSecretNames(mesh.name, backend.name);
  const existing = await readBuiltin(store, names);
  if (existing) return { mesh: mesh.name, backend: backend.name, type: 'builtin', ...existing, fingerprint: fingerprint(existing.certPem) };
  if (opts.create === false) return undefined;
  const created = await store.withLock(`mesh-ca:${mesh.name}`, async () => {
    const again = await readBuiltin(store, names);
    if (again) return again;
    const { bits, validForMs } = builtinOptions(backend);
    const now = (opts.clock ?? systemClock).now();
    const pair = await createCA({ commonName: mesh.name, key: { kind: 'rsa', bits }, validForMs, notBefore: new Date(now.getTime() - 60_000) });
    // Key first: a reader that finds the cert can rely on the key being there.
    await createOrKeep(store, secretResource(names.key, pair.keyPem));
    await createOrKeep(store, secretResource(names.cert, pair.certPem));
    return (await readBuiltin(store, names)) ?? pair;
  });
  return { mesh: mesh.name, backend: backend.name, type: 'builtin', ...created, fingerprint: fingerprint(created.certPem) };
}

async function createOrKeep(store: Store, r: Resource): Promise<void> {
  try {
    await store.create(r);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}

async function readBuiltin(store: Store, names: { cert: string; key: string }): Promise<{ certPem: string; keyPem: string } | undefined> {
  const certPem = await readSecret(store, names.cert);
  if (certPem === undefined) return undefined;
  const keyPem = await readSecret(store, names.key);
  return keyPem === undefined ? undefined : { certPem, keyPem };
}

async function loadProvided(store: Store, mesh: Resource, backend: CaBackend): Promise<{ certPem: string; keyPem: string }> {
  const i = backends(mesh).indexOf(backend);
  const base = `mtls.backends[${i}].conf`;
  const certPem = await resolveDataSource(store, backend.conf?.cert, `${base}.cert`);
  const keyPem = await resolveDataSource(store, backend.conf?.key, `${base}.key`);
  const problem = caPairProblem(certPem, keyPem);
  if (problem) throw new ValidationError(`mesh ${mesh.name}: ${problem.message}`, [{ field: `${base}.${problem.field}`, message: problem.message }]);
  return { certPem, keyPem };
}

/** Why cert and key are not a usable CA pair, or undefined when they are. */
export function caPairProblem(certPem: string, keyPem: string): { field: 'cert' | 'key'; message: string } | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return { field: 'cert', message: 'could not parse the certificate: expected a PEM encoded X.509 certificate' };
  }
  if (!cert.ca) return { field: 'cert', message: 'the certificate is not a CA certificate (basicConstraints CA:TRUE is missing)' };
  let ok = false;
  try {
    ok = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return { field: 'key', message: 'could not parse the private key: expected a PEM encoded PKCS#1, PKCS#8 or SEC1 key' };
  }
  return ok ? undefined : { field: 'key', message: 'the key does not match the certificate (not a CA pair)' };
}

/**
 * The checks PUT /meshes runs before it stores `mesh` (`previous` = the stored version, if any):
 * a `provided` enabled backend must resolve to a CA pair, and the CA of a mesh with mTLS enabled
 * cannot be switched (another backend, or another type or source for the same backend).
 * Throws ValidationError (400) with every violation.
 */
export async function validateMeshCa(store: Store, mesh: Resource, previous?: Resource): Promise<void> {
  const violations: Violation[] = [];
  const next = enabledBackend(mesh);
  const prev = previous ? enabledBackend(previous) : undefined;
  if (prev && next) {
    if (prev.name !== next.name) violations.push({ field: 'mtls.enabledBackend', message: CHANGE_CA_MESSAGE });
    else if (prev.type !== next.type || (next.type === 'provided' && JSON.stringify(prev.conf ?? {}) !== JSON.stringify(next.conf ?? {}))) {
      violations.push({ field: `mtls.backends[${backends(mesh).indexOf(next)}]`, message: CHANGE_CA_MESSAGE });
    }
  }
  if (next?.type === 'provided' && violations.length === 0) {
    try {
      await loadProvided(store, mesh, next);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      violations.push(...err.violations);
    }
  }
  if (violations.length) throw new ValidationError('Resource is not valid', violations);
}

/** Removes a mesh's builtin CA secrets (after the Mesh is deleted), like Kuma's mesh manager. */
export async function deleteMeshCa(store: Store, meshName: string): Promise<void> {
  const { items } = await store.list({ type: 'GlobalSecret', nameContains: `${meshName}.ca-builtin-` });
  for (const s of items) {
    if (!s.resource.name.startsWith(`${meshName}.ca-builtin-`)) continue;
    try {
      await store.delete({ type: 'GlobalSecret', name: s.resource.name });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/**
 * The PUT /meshes/{name} hook: call it before the upsert (under the mesh's write lock), with the
 * Mesh about to be stored. Reads the stored version itself. Throws ValidationError (400).
 */
export async function checkMeshCaChange(store: Store, mesh: Resource): Promise<void> {
  let previous: Resource | undefined;
  try {
    previous = (await store.get({ type: 'Mesh', name: mesh.name })).resource;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await validateMeshCa(store, mesh, previous);
}
