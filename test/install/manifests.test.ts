/**
 * `zonectl install`: goldens (default and a full values file), byte-for-byte reproducibility,
 * every rendered object against Kubernetes' own schemas (kubernetes-models, Kubernetes 1.36), the
 * CRDs against apiextensions.k8s.io/v1 and the structural-schema rules, the security defaults,
 * and the values' error messages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { installControlPlaneManifest, installCrdsManifest } from '../../src/cli/install/run.js';
import { toKubernetes } from '../../src/resources/kubernetes.js';
import type { Resource } from '../../src/resources/types.js';
import { resolveValues } from '../../src/install/values.js';
import { runCli } from '../helpers/cli.js';
import { assertGolden } from '../helpers/golden.js';
import { assertValidK8sObject, crdValidator, loadYamlDocuments } from '../helpers/kubernetes.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking untyped manifests

const KEY = fileURLToPath(new URL('../tokens/fixtures/samplekey.pem', import.meta.url));
const FULL = fileURLToPath(new URL('../fixtures/install/full-values.yaml', import.meta.url));
const ISSUED_AT = '2026-01-01T00:00:00Z';
const docs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);

describe('zonectl install', () => {
  let defaultText = '';
  let fullText = '';

  test('goldens: --egress-enabled with the defaults, and a full values file; the CLI prints the same bytes', async () => {
    [defaultText, fullText] = await Promise.all([
      installControlPlaneManifest({ namespace: 'kuma-system', egressEnabled: true, valuesFiles: [], sets: [], signingKeyPath: KEY, issuedAt: ISSUED_AT }),
      installControlPlaneManifest({ namespace: 'mesh-system', egressEnabled: false, valuesFiles: [FULL], sets: ['egress.replicas=4'], signingKeyPath: KEY, issuedAt: ISSUED_AT }),
    ]);
    // CRDs are left out of the goldens: they follow the kind registry (checked below on their own),
    // so a kind added elsewhere does not touch these files.
    const withoutCrds = (text: string) => text.split(/^---\n/m).filter((d) => !/^kind: CustomResourceDefinition$/m.test(d)).join('---\n');
    assertGolden('install/control-plane.egress.yaml', withoutCrds(defaultText));
    assertGolden('install/control-plane.full-values.yaml', withoutCrds(fullText));
    // Reproducible across processes: the same inputs give the same bytes.
    const cli = await runCli(['install', 'control-plane', '--egress-enabled', '--signing-key-path', KEY, '--issued-at', ISSUED_AT]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, defaultText);
  });

  test('every rendered object validates against the Kubernetes schemas; the CRDs are structural', async () => {
    const objects = [...docs(defaultText), ...docs(fullText)];
    assert.ok(objects.length > 20);
    for (const o of objects) await assertValidK8sObject(o);
    for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
      assert.deepEqual(structuralProblems(crd.spec.versions[0].schema.openAPIV3Schema, crd.metadata.name), [], crd.metadata.name);
    }
    const kinds = docs(defaultText).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const k of ['Namespace/kuma-system', 'StatefulSet/zonectl-control-plane', 'Service/zonectl-control-plane', 'Deployment/zonectl-egress', 'Service/zonectl-egress', 'PodDisruptionBudget/zonectl-egress', 'Secret/zonectl-egress-credentials']) assert.ok(kinds.includes(k), k);
    const full = docs(fullText).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const k of ['Deployment/zonectl-control-plane', 'HorizontalPodAutoscaler/zonectl-egress', 'PodDisruptionBudget/zonectl-control-plane']) assert.ok(full.includes(k), k);
    assert.ok(!full.some((k) => k.startsWith('StatefulSet/')));
  });

  test("the CRDs accept what zonectl prints and Kuma's docs examples; install crds prints the same CRDs", () => {
    const crds = docs(installCrdsManifest());
    assert.deepEqual(
      crds.map((c) => c.metadata.name),
      docs(defaultText)
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((c) => c.metadata.name),
    );
    const check = crdValidator(crds);
    const examples = loadYamlDocuments(fileURLToPath(new URL('../fixtures/kubernetes/kuma-docs.yaml', import.meta.url))).filter((d) => d.kind === 'Mesh' || d.kind === 'ExternalService');
    const printed = [
      toKubernetes({ type: 'ZoneEgress', name: 'ze-1', zone: 'z', networking: { address: '10.0.0.1', port: 10002, admin: { port: 9901 } } } as Resource)!,
      toKubernetes({ type: 'ZoneIngress', name: 'zi-1', zone: 'z', networking: { address: '10.0.0.2', port: 10001, advertisedAddress: '1.2.3.4', advertisedPort: 10001 }, availableServices: [{ tags: { 'kuma.io/service': 'a' }, instances: 1, mesh: 'default' }] } as Resource)!,
    ];
    for (const o of [...examples, ...printed]) assert.deepEqual(check(o), [], `${String(o.kind)} ${String((o.metadata as Obj).name)}`);
    // The schema is the zonectl schema, not a pass-through: a port of the wrong type is refused.
    assert.notDeepEqual(check({ ...printed[0], spec: { networking: { port: 'x' } } }), []);
    const egressCrd = crds.find((c) => c.spec.names.kind === 'ZoneEgress')!;
    assert.deepEqual([egressCrd.spec.scope, egressCrd.spec.names.shortNames, egressCrd.spec.versions[0].additionalPrinterColumns[0].jsonPath], ['Namespaced', ['ze'], '.spec.zone']);
  });

  test('security defaults: non-root, read-only root filesystem, no capabilities, no service account token; grace longer than the drain', () => {
    for (const o of [...docs(defaultText), ...docs(fullText)].filter((x) => x.kind === 'Deployment' || x.kind === 'StatefulSet')) {
      const pod = o.spec.template.spec;
      const c = pod.containers[0];
      const what = `${o.kind} ${o.metadata.name}`;
      assert.equal(pod.automountServiceAccountToken, false, what);
      assert.equal(pod.securityContext.runAsNonRoot, true, what);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, what);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, what);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], what);
      assert.equal(c.readinessProbe.httpGet.path, '/ready', what);
    }
    const egress = docs(fullText).find((o) => o.kind === 'Deployment' && o.metadata.name === 'zonectl-egress')!;
    assert.equal(egress.spec.template.spec.terminationGracePeriodSeconds, 55);
    assert.ok(egress.spec.template.spec.containers[0].args.includes('--drain-time=45s'));
    assert.equal(egress.spec.replicas, undefined, 'the HPA owns the replica count');
  });

  test('values: unknown keys name the closest known key; wrong types and impossible combinations are refused', async () => {
    assert.throws(() => resolveValues({ files: [{ name: 'values.yaml', values: { egress: { replica: 2, enabeld: true } } }] }), {
      message: 'invalid values: egress.replica: unknown value in values.yaml; did you mean egress.replicas?; egress.enabeld: unknown value in values.yaml; did you mean egress.enabled?',
    });
    assert.throws(() => resolveValues({ sets: ['controlPlane.servce.type=NodePort'] }), /controlPlane\.servce: unknown value in --set controlPlane\.servce\.type=NodePort; did you mean controlPlane\.service\?/);
    assert.throws(() => resolveValues({ sets: ['egress.replicas=two', 'egress.service.type=Magic'] }), { message: 'invalid values: egress.replicas: must be integer; egress.service.type: must be one of: ClusterIP, NodePort, LoadBalancer' });
    assert.equal(resolveValues({ sets: ['egress.nodeSelector.kubernetes\\.io/arch=arm64'] }).egress.nodeSelector['kubernetes.io/arch'], 'arm64');
    const r = await runCli(['install', 'control-plane', '--set', 'controlPlane.replicas=2']);
    assert.deepEqual([r.code, r.stderr], [3, 'Error: invalid values: controlPlane.replicas: is 2, but the embedded SQLite store serves one instance: set controlPlane.postgres.url (or controlPlane.postgres.secretRef.name) to run several\n']);
  });

  test('values.schema.json documents every key with a description', () => {
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/install/values.schema.json', import.meta.url)), 'utf8')) as Obj;
    const undocumented: string[] = [];
    const walk = (node: Obj, path: string) => {
      for (const [k, child] of Object.entries((node.properties ?? {}) as Obj)) {
        if (typeof child.description !== 'string') undocumented.push(`${path}${k}`);
        walk(child, `${path}${k}.`);
      }
    };
    walk(schema, '');
    assert.deepEqual(undocumented, []);
  });
});

/** apiextensions.k8s.io/v1 structural schema rules (what the API server refuses in a CRD). */
function structuralProblems(node: Obj, path: string): string[] {
  const out: string[] = [];
  for (const k of ['$ref', '$schema', '$id', '$defs', 'definitions', 'if', 'then', 'else', 'const', 'patternProperties', 'dependentRequired']) if (k in node) out.push(`${path}: ${k} is not allowed`);
  if (node.uniqueItems === true) out.push(`${path}: uniqueItems: true is not allowed`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties: false is not allowed`);
  if (node.properties && node.additionalProperties) out.push(`${path}: properties and additionalProperties are exclusive`);
  if (!node.type && !node['x-kubernetes-preserve-unknown-fields'] && !node['x-kubernetes-int-or-string']) out.push(`${path}: type is missing`);
  if (node.type === 'array' && !node.items) out.push(`${path}: items is missing`);
  for (const [k, child] of Object.entries((node.properties ?? {}) as Obj)) out.push(...structuralProblems(child, `${path}.${k}`));
  if (node.items) out.push(...structuralProblems(node.items, `${path}[]`));
  if (node.additionalProperties && typeof node.additionalProperties === 'object') out.push(...structuralProblems(node.additionalProperties, `${path}{}`));
  return out;
}
