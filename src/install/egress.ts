/**
 * The egress objects of `zonectl install control-plane --egress-enabled`: a Deployment running
 * `zonectl dp run --proxy-type=egress` against the control plane's Service, its Service, Secret
 * (zone token, dp-server CA), the ZoneEgress template, a PodDisruptionBudget and, with
 * `egress.autoscaling.enabled`, a HorizontalPodAutoscaler. Each pod registers its own ZoneEgress,
 * named after the pod, at the pod's IP.
 */
import { parseGoDuration } from '../core/duration.js';
import { ValidationError } from '../core/errors.js';
import type { K8sObject } from './crds.js';
import { CP_NAME, DP_PORT, EGRESS_ADMIN_PORT, EGRESS_NAME, labels, PATHS, pdb, secret, selector, type RenderOptions } from './common.js';
import type { ControlPlaneValues } from './values.js';

const COMPONENT = 'egress';
const CREDENTIALS_SECRET = `${EGRESS_NAME}-credentials`;
export const EGRESS_LISTEN_PORT = 10002;

export interface EgressCredentials {
  token: string;
  caCertPem: string;
}

/** The ZoneEgress each pod registers; `{{ name }}` and `{{ address }}` come from --dataplane-var. */
export function zoneEgressTemplate(zone: string): string {
  return ['type: ZoneEgress', 'name: "{{ name }}"', `zone: ${JSON.stringify(zone)}`, 'networking:', '  address: "{{ address }}"', `  port: ${EGRESS_LISTEN_PORT}`, '  admin:', `    port: ${EGRESS_ADMIN_PORT}`, ''].join('\n');
}

export function renderEgress(values: ControlPlaneValues, creds: EgressCredentials, opts: RenderOptions): K8sObject[] {
  const e = values.egress;
  const ns = opts.namespace;
  const l = labels(COMPONENT, opts.version, e.extraLabels);
  const drainMs = parseGoDuration(e.drainTime);
  if (drainMs === undefined) throw new ValidationError(`invalid values: egress.drainTime: ${JSON.stringify(e.drainTime)} is not a duration (Go syntax, e.g. 30s)`, [{ field: 'egress.drainTime', message: 'must be a duration such as 30s' }]);
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: EGRESS_NAME, namespace: ns, labels: l }, automountServiceAccountToken: false },
    secret(CREDENTIALS_SECRET, ns, l, { token: creds.token, 'ca.crt': creds.caCertPem }),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: EGRESS_NAME, namespace: ns, labels: l }, data: { 'zoneegress.yaml': zoneEgressTemplate(values.controlPlane.zone) } },
  ];
  if (e.service.enabled) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: EGRESS_NAME, namespace: ns, labels: l, ...(Object.keys(e.service.annotations).length ? { annotations: e.service.annotations } : {}) },
      spec: { type: e.service.type, selector: selector(COMPONENT), ports: [{ name: 'egress', port: e.service.port, targetPort: 'egress', protocol: 'TCP' }] },
    });
  }
  objects.push(deployment(values, opts, l, drainMs));
  if (e.podDisruptionBudget.enabled) objects.push(pdb(EGRESS_NAME, ns, l, COMPONENT, e.podDisruptionBudget.maxUnavailable));
  if (e.autoscaling.enabled) {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: EGRESS_NAME, namespace: ns, labels: l },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: EGRESS_NAME }, minReplicas: e.autoscaling.minReplicas, maxReplicas: e.autoscaling.maxReplicas, metrics: e.autoscaling.metrics },
    });
  }
  return objects;
}

function deployment(values: ControlPlaneValues, opts: RenderOptions, l: Record<string, string>, drainMs: number): K8sObject {
  const e = values.egress;
  const container = {
    name: 'egress',
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'dp',
      'run',
      '--proxy-type=egress',
      `--cp-address=https://${CP_NAME}.${opts.namespace}.svc:${DP_PORT}`,
      `--ca-cert-file=${PATHS.egressCredentials}/ca.crt`,
      `--dataplane-token-file=${PATHS.egressCredentials}/token`,
      `--dataplane-file=${PATHS.egressConfig}/zoneegress.yaml`,
      '--dataplane-var=name=$(POD_NAME)',
      '--dataplane-var=address=$(POD_IP)',
      // The kubelet probes /ready from the node: the admin API listens on the pod's IP, not loopback.
      '--admin-address=$(POD_IP)',
      `--drain-time=${e.drainTime}`,
      `--log-level=${e.logLevel}`,
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ],
    ports: [
      { name: 'egress', containerPort: EGRESS_LISTEN_PORT, protocol: 'TCP' },
      { name: 'admin', containerPort: EGRESS_ADMIN_PORT, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 'admin' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
    livenessProbe: { tcpSocket: { port: 'admin' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
    resources: e.resources,
    securityContext: e.containerSecurityContext,
    volumeMounts: [
      { name: 'credentials', mountPath: PATHS.egressCredentials, readOnly: true },
      { name: 'config', mountPath: PATHS.egressConfig, readOnly: true },
      { name: 'tmp', mountPath: PATHS.tmp },
    ],
  };
  const podSpec = {
    serviceAccountName: EGRESS_NAME,
    automountServiceAccountToken: false,
    securityContext: e.podSecurityContext,
    ...(Object.keys(e.nodeSelector).length ? { nodeSelector: e.nodeSelector } : {}),
    ...(e.tolerations.length ? { tolerations: e.tolerations } : {}),
    // Longer than the drain, so SIGKILL never cuts connections still finishing.
    terminationGracePeriodSeconds: Math.ceil(drainMs / 1000) + 10,
    containers: [container],
    volumes: [
      { name: 'credentials', secret: { secretName: CREDENTIALS_SECRET, defaultMode: 0o440 } },
      { name: 'config', configMap: { name: EGRESS_NAME } },
      { name: 'tmp', emptyDir: {} },
    ],
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: EGRESS_NAME, namespace: opts.namespace, labels: l },
    spec: {
      ...(e.autoscaling.enabled ? {} : { replicas: e.replicas }),
      selector: { matchLabels: selector(COMPONENT) },
      template: { metadata: { labels: l }, spec: podSpec },
    },
  };
}
