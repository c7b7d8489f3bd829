/**
 * What the renderers of `zonectl install` share: names, labels, paths inside the containers, the
 * credentials they put in Secrets, and the multi-document YAML they print.
 */
import { stringify } from 'yaml';
import type { K8sObject } from './crds.js';

export const CP_NAME = 'zonectl-control-plane';
export const EGRESS_NAME = 'zonectl-egress';
export const API_PORT = 5681;
export const DP_PORT = 5678;
export const EGRESS_ADMIN_PORT = 9901;
/** The `kid` of the signing key install creates: above the serials the control plane gives its own keys. */
export const INSTALL_SIGNING_KEY_KID = 100;

/** Paths inside the containers (what the render-and-run test recreates on disk). */
export const PATHS = {
  dataDir: '/var/lib/zonectl',
  cpCredentials: '/etc/zonectl/credentials',
  egressCredentials: '/etc/zonectl/egress',
  egressConfig: '/etc/zonectl/egress-config',
  tmp: '/tmp',
} as const;

/** Credentials made without a cluster (src/cli/install/credentials.ts), rendered into Secrets. */
export interface InstallCredentials {
  /** Zone-token signing key, PKCS#1 PEM (Kuma's format). */
  signingKeyPem: string;
  signingPublicKeyPem: string;
  dpServerCaCertPem: string;
  dpServerCaKeyPem: string;
  /** The egress's zone token (scope egress); set when the egress is rendered. */
  egressToken?: string;
}

export interface RenderOptions {
  namespace: string;
  image: string;
  /** zonectl's version (the `app.kubernetes.io/version` label). */
  version: string;
}

export function labels(component: string, version: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...selector(component), 'app.kubernetes.io/version': version, 'app.kubernetes.io/managed-by': 'zonectl', ...extra };
}

export function selector(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'zonectl', 'app.kubernetes.io/component': component };
}

export function secret(name: string, namespace: string, objLabels: Record<string, string>, data: Record<string, string>): K8sObject {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) encoded[k] = Buffer.from(v, 'utf8').toString('base64');
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: objLabels }, type: 'Opaque', data: encoded };
}

export function pdb(name: string, namespace: string, objLabels: Record<string, string>, component: string, maxUnavailable: number): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels: objLabels },
    spec: { maxUnavailable, selector: { matchLabels: selector(component) } },
  };
}

/** Multi-document YAML, `---` between documents; key order as built (deterministic). */
export function renderManifest(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false })).join('---\n');
}
