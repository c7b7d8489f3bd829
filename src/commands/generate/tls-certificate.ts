import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clientFromFlags, cpFlags } from '../../cli/cp-flags.js';
import { issueTlsCertificate, writeTlsCertificate, type TlsCertificateOptions, type TlsCertificateResult } from '../../cli/tls-certificate.js';

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
    const opts: TlsCertificateOptions = {
      type: flags.type as 'client' | 'server',
      mesh: flags.mesh,
      tags: flags.tag,
      validFor: flags['valid-for'],
      hostnames: flags.hostname,
      caCertFile: flags['ca-cert-file'],
      caKeyFile: flags['ca-key-file'],
      certFile: flags['cert-file'],
      keyFile: flags['key-file'],
      caCertFileOut: flags['ca-cert-file-out'],
    };
    const cert = await issueTlsCertificate(opts, () => clientFromFlags(flags).client);
    const result = writeTlsCertificate(cert, opts);
    // With PEM on stdout, the summary goes to stderr so the output stays a clean PEM bundle.
    const toStdout = [opts.certFile, opts.keyFile].includes('-');
    (toStdout ? this.logToStderr.bind(this) : this.log.bind(this))(`issued a ${opts.type} certificate for ${cert.uris[0]} (valid until ${result.notAfter}): ${opts.certFile}, key ${opts.keyFile}`);
    return result;
  }
}
