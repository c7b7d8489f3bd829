/**
 * Workload certificates from a mesh CA, shaped like the ones Kuma gives a sidecar: URI SANs
 * `spiffe://<mesh>/<service>` for each `kuma.io/service` value and `kuma://<tag>/<value>` for
 * every tag. `zonectl generate tls-certificate --type client` uses it, so users and tests can
 * act as a sidecar toward the egress.
 */
import { UsageError, ValidationError } from '../../core/errors.js';
import { issueCertificate, type KeyPairPem } from '../../core/pki.js';
import { caPairProblem } from './mesh-ca.js';

export interface WorkloadCertOptions {
  ca: KeyPairPem;
  mesh: string;
  /** Tags, e.g. `{ 'kuma.io/service': 'web' }`; a service tag is required. */
  tags: Record<string, string>;
  type: 'client' | 'server';
  validForMs: number;
  /** Extra DNS names (server certificates). */
  dnsNames?: string[];
  notBefore?: Date;
}

export interface WorkloadCert extends KeyPairPem {
  caPem: string;
  uris: string[];
}

export function workloadUris(mesh: string, tags: Record<string, string>): string[] {
  const service = tags['kuma.io/service'];
  const kuma = Object.keys(tags)
    .sort()
    .map((k) => `kuma://${k}/${tags[k]}`);
  return [`spiffe://${mesh}/${service}`, ...kuma];
}

export async function issueWorkloadCertificate(opts: WorkloadCertOptions): Promise<WorkloadCert> {
  if (!opts.tags['kuma.io/service']) throw new UsageError('a kuma.io/service tag is required: pass --tag kuma.io/service=NAME');
  const problem = caPairProblem(opts.ca.certPem, opts.ca.keyPem);
  if (problem) throw new ValidationError(`the mesh CA cannot sign: ${problem.message}`, [{ field: problem.field === 'cert' ? 'ca-cert' : 'ca-key', message: problem.message }]);
  const uris = workloadUris(opts.mesh, opts.tags);
  const pair = await issueCertificate({
    ca: opts.ca,
    commonName: opts.tags['kuma.io/service'],
    uris,
    dnsNames: opts.dnsNames,
    usage: opts.type,
    notBefore: opts.notBefore,
    validForMs: opts.validForMs,
  });
  return { ...pair, caPem: opts.ca.certPem, uris };
}
