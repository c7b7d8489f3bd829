import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { installControlPlaneManifest } from '../../cli/install/run.js';

export default class InstallControlPlane extends BaseCommand {
  static override summary = 'Print the Kubernetes manifests of a control plane (and, with --egress-enabled, its egress).';
  static override description = `Namespace, CRDs, the control plane (StatefulSet with a volume for SQLite, or a Deployment on PostgreSQL), Services, and the credentials in Secrets: the zone-token signing key (created, or --signing-key-path), the egress's zone token minted offline with it, and the dp-server CA. Values use Kuma's Helm keys (schemas/install/values.schema.json). With --signing-key-path and --issued-at (or SOURCE_DATE_EPOCH) the output is byte-for-byte reproducible.`;
  static override examples = [
    '$ <%= config.bin %> <%= command.id %> --egress-enabled | kubectl apply -f -',
    '$ <%= config.bin %> <%= command.id %> --egress-enabled --values values.yaml --set egress.replicas=2',
    '$ <%= config.bin %> <%= command.id %> --egress-enabled --signing-key-path key.pem --issued-at 2026-01-01T00:00:00Z > zonectl.yaml',
  ];

  static override flags = {
    namespace: Flags.string({ summary: 'Namespace of the control plane and the egress.', default: 'kuma-system' }),
    'egress-enabled': Flags.boolean({ summary: 'Also render the egress (same as --set egress.enabled=true).', default: false }),
    values: Flags.string({ summary: 'Values file (YAML, Kuma Helm keys); repeatable, later files win.', multiple: true, helpValue: 'FILE' }),
    set: Flags.string({ summary: 'One value, e.g. egress.replicas=2 (repeatable; wins over --values).', multiple: true, helpValue: 'KEY=VALUE' }),
    'signing-key-path': Flags.string({ summary: 'Zone-token signing key to use (PEM); default: a new one.' }),
    image: Flags.string({ summary: 'Image of the control plane and the egress (default zonectl:<version>, built from the Dockerfile).' }),
    'issued-at': Flags.string({ summary: 'Time the credentials are issued at (RFC 3339); default SOURCE_DATE_EPOCH, else now.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(InstallControlPlane);
    const manifest = await installControlPlaneManifest({
      namespace: flags.namespace,
      egressEnabled: flags['egress-enabled'],
      valuesFiles: flags.values ?? [],
      sets: flags.set ?? [],
      signingKeyPath: flags['signing-key-path'],
      image: flags.image,
      issuedAt: flags['issued-at'],
    });
    process.stdout.write(manifest);
  }
}
