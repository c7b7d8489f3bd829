import { closeSync, fchmodSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { issueWorkloadCertificate, type WorkloadCert } from '../../control-plane/ca/client-certificate.js';
import { parseGoDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { certificateInfo } from '../../core/pki.js';

export interface TlsCertificateResult {
  certFile: string;
  keyFile: string;
  caCertFile?: string;
  uris: string[];
  notAfter: string;
}

export default class GenerateTlsCertificate extends BaseCommand {
  static override summary = 'Issue a workload certificate from a mesh CA (act as a sidecar toward the egress).';
  static override description = `The certificate carries Kuma's sidecar SANs: spiffe://<mesh>/<kuma.io/service> and kuma://<tag>/<value> for each --tag, so the egress accepts it for mTLS on external-service routes. Online (default), the control plane of the current context signs it with the mesh's CA (POST /meshes/<mesh>/certificates, admin only). Offline, --ca-cert-file and --ca-key-file sign it locally (e.g. a provided CA). The key file is written with mode 0600.`;
  static override examples = [
    '$ <%= config.bin %> <%= command.id %> --type client --mesh mesh-1 --tag kuma.io/service=web --cert-file web.crt --key-file web.key --ca-cert-file-out mesh-ca.crt',
    '$ <%= config.bin %> <%= command.id %> --type client --mesh mesh-1 --tag kuma.io/service=web --ca-cert-file ca.crt --ca-key-file ca.key --cert-file web.crt --key-file web.key',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    ...cpFlags,
    type: Flags.string({ summary: 'Certificate usage.', options: ['client', 'server'], required: true }),
    mesh: Flags.string({ char: 'm', summary: 'Mesh whose CA signs (and whose SPIFFE ID the certificate carries).', required: true }),
    tag: Flags.string({ summary: 'A tag k=v; kuma.io/service is required. Repeatable.', multiple: true, required: true }),
    'valid-for': Flags.string({ summary: 'Lifetime, in Go duration syntax.', default: '24h' }),
    hostname: Flags.string({ summary: 'DNS name for server certificates. Repeatable.', multiple: true }),
    'cert-file': Flags.string({ summary: 'Where to write the certificate (PEM); - for standard output.', required: true }),
    'key-file': Flags.string({ summary: 'Where to write the private key (PEM, mode 0600); - for standard output.', required: true }),
    'ca-cert-file-out': Flags.string({ summary: 'Also write the mesh CA certificate here (what peers trust).' }),
    'ca-cert-file': Flags.string({ summary: 'Sign offline with this CA certificate (PEM).', dependsOn: ['ca-key-file'] }),
    'ca-key-file': Flags.string({ summary: 'Sign offline with this CA key (PEM).', dependsOn: ['ca-cert-file'] }),
  };

  async run(): Promise<TlsCertificateResult> {
    const { flags } = await this.parse(GenerateTlsCertificate);
    const tags = Object.fromEntries(flags.tag.map(parseTag));
    const validForMs = parseGoDuration(flags['valid-for']);
    if (validForMs === undefined || validForMs <= 0) throw new UsageError(`--valid-for ${flags['valid-for']} is not a positive Go duration (e.g. 24h, 720h)`);
    const type = flags.type as 'client' | 'server';
    let cert: WorkloadCert;
    if (flags['ca-cert-file'] && flags['ca-key-file']) {
      const ca = { certPem: readPem(flags['ca-cert-file'], '--ca-cert-file'), keyPem: readPem(flags['ca-key-file'], '--ca-key-file') };
      cert = await issueWorkloadCertificate({ ca, mesh: flags.mesh, tags, type, validForMs, dnsNames: flags.hostname });
    } else {
      if (!tags['kuma.io/service']) throw new UsageError('a kuma.io/service tag is required: pass --tag kuma.io/service=NAME');
      const { client } = clientFromFlags(flags);
      try {
        const body = { type, tags, validFor: flags['valid-for'], dnsNames: flags.hostname };
        const res = await client.requestJson<{ cert: string; key: string; caCert: string }>('POST', `/meshes/${encodeURIComponent(flags.mesh)}/certificates`, { body });
        cert = { certPem: res.cert, keyPem: res.key, caPem: res.caCert, uris: certificateInfo(res.cert).uris };
      } finally {
        client.close();
      }
    }
    // `-` is standard output (kumactl's convention): certificate first, then the key.
    const toStdout = [flags['cert-file'], flags['key-file']].includes('-');
    if (flags['cert-file'] === '-') process.stdout.write(cert.certPem.endsWith('\n') ? cert.certPem : `${cert.certPem}\n`);
    else writeFileSync(flags['cert-file'], cert.certPem);
    if (flags['key-file'] === '-') process.stdout.write(cert.keyPem.endsWith('\n') ? cert.keyPem : `${cert.keyPem}\n`);
    else writePrivate(flags['key-file'], cert.keyPem);
    if (flags['ca-cert-file-out']) writeFileSync(flags['ca-cert-file-out'], cert.caPem);
    const notAfter = certificateInfo(cert.certPem).notAfter.toISOString();
    // With PEM on stdout, the summary goes to stderr so the output stays a clean PEM bundle.
    (toStdout ? this.logToStderr.bind(this) : this.log.bind(this))(`issued a ${type} certificate for ${cert.uris[0]} (valid until ${notAfter}): ${flags['cert-file']}, key ${flags['key-file']}`);
    return { certFile: flags['cert-file'], keyFile: flags['key-file'], caCertFile: flags['ca-cert-file-out'], uris: cert.uris, notAfter };
  }
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
