/**
 * Which resources read a GlobalSecret, so that deleting it can be refused while it is in use
 * (Kuma's secret validator, pkg/core/secrets/manager/validator.go, for mTLS backends; zonectl also
 * covers ExternalService TLS data sources, which in Kuma would fail later, at config generation).
 * A Mesh's CA backends use `<mesh>.ca-builtin-{cert,key}-<backend>` (builtin) or the `secret` of
 * `conf.cert` / `conf.key` (provided), whether or not the backend is the enabled one, as in Kuma.
 */
import type { Violation } from '../../core/errors.js';
import type { Resource } from '../../resources/types.js';
import type { Store } from '../store/types.js';
import { builtinSecretNames, type CaBackend } from './mesh-ca.js';

function secretOf(ds: unknown): string | undefined {
  const s = (ds as { secret?: unknown } | null | undefined)?.secret;
  return typeof s === 'string' ? s : undefined;
}

function backendSecrets(mesh: string, backend: CaBackend): string[] {
  if (backend.type === 'builtin') {
    const n = builtinSecretNames(mesh, backend.name);
    return [n.cert, n.key];
  }
  return [secretOf(backend.conf?.cert), secretOf(backend.conf?.key)].filter((s): s is string => s !== undefined);
}

/** One violation (field `name`, Kuma's wording) per place the secret is used; empty when unused. */
export async function secretUses(store: Store, name: string): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const { resource: mesh } of (await store.list({ type: 'Mesh' })).items) {
    const backends = (mesh.mtls as { backends?: unknown } | undefined)?.backends;
    for (const backend of Array.isArray(backends) ? (backends as CaBackend[]) : []) {
      if (typeof backend?.name !== 'string' || !backendSecrets(mesh.name, backend).includes(name)) continue;
      out.push({
        field: 'name',
        message: `The secret ${JSON.stringify(name)} that you are trying to remove is currently in use in Mesh ${JSON.stringify(mesh.name)} in mTLS backend ${JSON.stringify(backend.name)}. Please remove the reference from the ${JSON.stringify(backend.name)} backend before removing the secret.`,
      });
    }
  }
  for (const { resource: es } of (await store.list({ type: 'ExternalService' })).items) {
    for (const field of externalServiceRefs(es, name)) {
      out.push({
        field: 'name',
        message: `The secret ${JSON.stringify(name)} that you are trying to remove is currently in use in ExternalService ${JSON.stringify(es.name)} of Mesh ${JSON.stringify(es.mesh)} in ${field}. Please remove the reference from the ExternalService before removing the secret.`,
      });
    }
  }
  return out;
}

function externalServiceRefs(es: Resource, name: string): string[] {
  const tls = (es.networking as { tls?: Record<string, unknown> } | undefined)?.tls;
  if (!tls || typeof tls !== 'object') return [];
  return ['caCert', 'clientCert', 'clientKey'].filter((k) => secretOf(tls[k]) === name).map((k) => `networking.tls.${k}`);
}
