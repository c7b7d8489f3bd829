/**
 * `zonectl generate tls-certificate`: a workload certificate with Kuma's sidecar SANs, signed
 * online by the control plane's mesh CA or offline with a CA's files, written where the flags say.
 */
import { closeSync, fchmodSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import type { ApiClient } from '../client/api-client.js';
import { issueWorkloadCertificate, type WorkloadCert } from '../control-plane/ca/client-certificate.js';
import { parseGoDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { certificateInfo } from '../core/pki.js';

export interface TlsCertificateOptions {
  type: 'client' | 'server';
  mesh: string;
  /** `--tag k=v` as typed. */
  tags: readonly string[];
  /** Go duration, e.g. 24h. */
  validFor: string;
  hostnames?: string[];
  /** Offline signing with these CA files (both or neither). */
  caCertFile?: string;
  caKeyFile?: string;
  /** `-` is standard output. */
  certFile: string;
  keyFile: string;
  caCertFileOut?: string;
}

/** The `--json` value: the tested contract. */
export interface TlsCertificateResult {
  certFile: string;
  keyFile: string;
  caCertFile?: string;
  uris: string[];
  notAfter: string;
}

/** Issues the certificate: offline when the CA files are given, else by the control plane `connect()` opens. */
export async function issueTlsCertificate(opts: TlsCertificateOptions, connect: () => ApiClient): Promise<WorkloadCert> {
  const tags = Object.fromEntries(opts.tags.map(parseTag));
  const validForMs = parseGoDuration(opts.validFor);
  if (validForMs === undefined || validForMs <= 0) throw new UsageError(`--valid-for ${opts.validFor} is not a positive Go duration (e.g. 24h, 720h)`);
  const { type } = opts;
  if (opts.caCertFile && opts.caKeyFile) {
    const ca = { certPem: readPem(opts.caCertFile, '--ca-cert-file'), keyPem: readPem(opts.caKeyFile, '--ca-key-file') };
    return issueWorkloadCertificate({ ca, mesh: opts.mesh, tags, type, validForMs, dnsNames: opts.hostnames });
  }
  if (!tags['kuma.io/service']) throw new UsageError('a kuma.io/service tag is required: pass --tag kuma.io/service=NAME');
  const client = connect();
  try {
    const body = { type, tags, validFor: opts.validFor, dnsNames: opts.hostnames };
    const res = await client.requestJson<{ cert: string; key: string; caCert: string }>('POST', `/meshes/${encodeURIComponent(opts.mesh)}/certificates`, { body });
    return { certPem: res.cert, keyPem: res.key, caPem: res.caCert, uris: certificateInfo(res.cert).uris };
  } finally {
    client.close();
  }
}

/**
 * Writes the certificate, its key (mode 0600) and the CA certificate where `opts` says; `-` is
 * standard output (kumactl's convention): certificate first, then the key.
 */
export function writeTlsCertificate(cert: WorkloadCert, opts: TlsCertificateOptions): TlsCertificateResult {
  if (opts.certFile === '-') process.stdout.write(cert.certPem.endsWith('\n') ? cert.certPem : `${cert.certPem}\n`);
  else writeFileSync(opts.certFile, cert.certPem);
  if (opts.keyFile === '-') process.stdout.write(cert.keyPem.endsWith('\n') ? cert.keyPem : `${cert.keyPem}\n`);
  else writePrivate(opts.keyFile, cert.keyPem);
  if (opts.caCertFileOut) writeFileSync(opts.caCertFileOut, cert.caPem);
  const notAfter = certificateInfo(cert.certPem).notAfter.toISOString();
  return { certFile: opts.certFile, keyFile: opts.keyFile, caCertFile: opts.caCertFileOut, uris: cert.uris, notAfter };
}

function parseTag(text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`--tag ${JSON.stringify(text)} is not k=v (e.g. --tag kuma.io/service=web)`);
  return [text.slice(0, i), text.slice(i + 1)];
}

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `mode` of writeFileSync applies only to a new file: an existing key file is tightened before the key goes in. */
function writePrivate(path: string, text: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
