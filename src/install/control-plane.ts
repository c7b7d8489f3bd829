/**
 * `zonectl install control-plane`: the whole manifest, deterministic for the same inputs.
 * Namespace, CRDs, the control plane (a StatefulSet with a PersistentVolumeClaim for SQLite, or a
 * Deployment of N replicas on PostgreSQL), its Service and credentials, and with the egress
 * enabled the egress objects (src/install/egress.ts). Pure: values and credentials in, objects out.
 *
 * The control plane does not call the Kubernetes API (it reads its credentials from mounted
 * Secrets), so no ServiceAccount token is mounted anywhere and no RBAC is granted.
 */
import { renderCrds, type K8sObject } from './crds.js';
import { ValidationError } from '../core/errors.js';
import { API_PORT, CP_NAME, DP_PORT, INSTALL_SIGNING_KEY_KID, labels, PATHS, pdb, secret, selector, type InstallCredentials, type RenderOptions } from './common.js';
import { renderEgress } from './egress.js';
import type { ControlPlaneValues } from './values.js';

const COMPONENT = 'control-plane';
const CREDENTIALS_SECRET = `${CP_NAME}-credentials`;
const POSTGRES_SECRET = `${CP_NAME}-postgres`;

export function renderControlPlane(values: ControlPlaneValues, creds: InstallCredentials, opts: RenderOptions): K8sObject[] {
  const cp = values.controlPlane;
  const ns = opts.namespace;
  const l = labels(COMPONENT, opts.version, cp.extraLabels);
  const postgres = cp.postgres.url !== '' || cp.postgres.secretRef.name !== '';
  if (!postgres && cp.replicas > 1) {
    const message = `is ${cp.replicas}, but the embedded SQLite store serves one instance: set controlPlane.postgres.url (or controlPlane.postgres.secretRef.name) to run several`;
    throw new ValidationError(`invalid values: controlPlane.replicas: ${message}`, [{ field: 'controlPlane.replicas', message }]);
  }
  const objects: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      // Every pod rendered here meets the `restricted` Pod Security Standard.
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/managed-by': 'zonectl' } },
    },
    ...renderCrds({ 'app.kubernetes.io/name': 'zonectl', 'app.kubernetes.io/version': opts.version, 'app.kubernetes.io/managed-by': 'zonectl' }),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: CP_NAME, namespace: ns, labels: l }, automountServiceAccountToken: false },
    secret(CREDENTIALS_SECRET, ns, l, {
      'signing-key.pem': creds.signingKeyPem,
      'signing-key.pub.pem': creds.signingPublicKeyPem,
      'dp-server-ca.crt': creds.dpServerCaCertPem,
      'dp-server-ca.key': creds.dpServerCaKeyPem,
    }),
  ];
  if (cp.postgres.url !== '') objects.push(secret(POSTGRES_SECRET, ns, l, { url: cp.postgres.url }));
  objects.push(service(values, opts, l), workload(values, opts, l, postgres));
  if (cp.podDisruptionBudget.enabled) objects.push(pdb(CP_NAME, ns, l, COMPONENT, cp.podDisruptionBudget.maxUnavailable));
  if (values.egress.enabled) {
    if (!creds.egressToken) throw new TypeError('renderControlPlane: the egress is enabled but creds.egressToken is missing');
    objects.push(...renderEgress(values, { token: creds.egressToken, caCertPem: creds.dpServerCaCertPem }, opts));
  }
  return objects;
}

function service(values: ControlPlaneValues, opts: RenderOptions, l: Record<string, string>): K8sObject {
  const s = values.controlPlane.service;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: CP_NAME, namespace: opts.namespace, labels: l, ...(Object.keys(s.annotations).length ? { annotations: s.annotations } : {}) },
    spec: {
      type: s.type,
      selector: selector(COMPONENT),
      ports: [
        { name: 'http-api-server', port: API_PORT, targetPort: 'http-api', protocol: 'TCP' },
        { name: 'dp-server', port: DP_PORT, targetPort: 'dp-server', protocol: 'TCP' },
      ],
    },
  };
}

/** DNS names egresses use for the dp-server, all in its certificate. */
export function dpServerNames(namespace: string): string[] {
  return [CP_NAME, `${CP_NAME}.${namespace}`, `${CP_NAME}.${namespace}.svc`, `${CP_NAME}.${namespace}.svc.cluster.local`];
}

function workload(values: ControlPlaneValues, opts: RenderOptions, l: Record<string, string>, postgres: boolean): K8sObject {
  const cp = values.controlPlane;
  const env: Record<string, unknown>[] = [
    { name: 'ZONECTL_API_ADDRESS', value: '0.0.0.0' },
    { name: 'ZONECTL_API_PORT', value: String(API_PORT) },
    { name: 'ZONECTL_DP_ADDRESS', value: '0.0.0.0' },
    { name: 'ZONECTL_DP_PORT', value: String(DP_PORT) },
    { name: 'ZONECTL_DP_SERVER_NAMES', value: dpServerNames(opts.namespace).join(',') },
    // The CA egresses trust (rendered into their Secret too); the server certificate is issued from it.
    { name: 'ZONECTL_DP_SERVER_CA_CERT', value: `${PATHS.cpCredentials}/dp-server-ca.crt` },
    { name: 'ZONECTL_DP_SERVER_CA_KEY', value: `${PATHS.cpCredentials}/dp-server-ca.key` },
    { name: 'ZONECTL_ZONE', value: cp.zone },
    { name: 'ZONECTL_DATA_DIR', value: PATHS.dataDir },
    { name: 'ZONECTL_STORE', value: postgres ? 'postgres' : 'sqlite' },
  ];
  if (postgres) {
    const ref = cp.postgres.url !== '' ? { name: POSTGRES_SECRET, key: 'url' } : { name: cp.postgres.secretRef.name, key: cp.postgres.secretRef.key };
    env.push({ name: 'ZONECTL_POSTGRES_URL', valueFrom: { secretKeyRef: ref } });
  }
  const mounts = [
    { name: 'data', mountPath: PATHS.dataDir },
    { name: 'credentials', mountPath: PATHS.cpCredentials, readOnly: true },
    { name: 'tmp', mountPath: PATHS.tmp },
  ];
  const container = {
    name: 'control-plane',
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['control-plane', 'run', `--zone-token-public-key=${INSTALL_SIGNING_KEY_KID}=${PATHS.cpCredentials}/signing-key.pub.pem`],
    env,
    ports: [
      { name: 'http-api', containerPort: API_PORT, protocol: 'TCP' },
      { name: 'dp-server', containerPort: DP_PORT, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 'http-api' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
    livenessProbe: { httpGet: { path: '/healthy', port: 'http-api' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
    resources: cp.resources,
    securityContext: cp.containerSecurityContext,
    volumeMounts: mounts,
  };
  const volumes: Record<string, unknown>[] = [
    { name: 'credentials', secret: { secretName: CREDENTIALS_SECRET, defaultMode: 0o440 } },
    { name: 'tmp', emptyDir: {} },
  ];
  if (postgres) volumes.push({ name: 'data', emptyDir: {} });
  const podSpec = {
    serviceAccountName: CP_NAME,
    automountServiceAccountToken: false,
    securityContext: cp.podSecurityContext,
    ...(Object.keys(cp.nodeSelector).length ? { nodeSelector: cp.nodeSelector } : {}),
    ...(cp.tolerations.length ? { tolerations: cp.tolerations } : {}),
    terminationGracePeriodSeconds: 30,
    containers: [container],
    volumes,
  };
  const template = { metadata: { labels: l }, spec: podSpec };
  const metadata = { name: CP_NAME, namespace: opts.namespace, labels: l };
  if (postgres) {
    return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: cp.replicas, selector: { matchLabels: selector(COMPONENT) }, template } };
  }
  const claim = {
    metadata: { name: 'data', labels: l },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(cp.persistence.storageClassName ? { storageClassName: cp.persistence.storageClassName } : {}),
      resources: { requests: { storage: cp.persistence.size } },
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata,
    spec: { replicas: 1, serviceName: CP_NAME, selector: { matchLabels: selector(COMPONENT) }, template, volumeClaimTemplates: [claim] },
  };
}

