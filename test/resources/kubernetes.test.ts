import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { classifyDocument, fromKubernetes, k8sKind, toKubernetes, type K8sKind } from '../../src/resources/kubernetes.js';
import { kindByType } from '../../src/resources/kinds.js';
import { loadDocuments } from '../../src/resources/load.js';
import type { Resource } from '../../src/resources/types.js';
import { validateDocuments } from '../../src/resources/validate-set.js';
import { assertValidObjectMeta, crdValidator, loadYamlDocuments } from '../helpers/kubernetes.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/kubernetes/', import.meta.url));
const load = (text: string, file = 'k8s.yaml') => loadDocuments(text, { file });
const brief = (text: string, opts = {}) =>
  validateDocuments(load(text), opts).map((r) => ({ type: r.type, valid: r.valid, skipped: r.skipped, violations: r.violations.map((v) => `${v.line}:${v.column} ${v.severity} ${v.field}: ${v.message}`) }));

describe("Kuma's Kubernetes form", () => {
  test("every Kubernetes example of Kuma's docs pages is valid or invalid as the docs say", () => {
    const text = readFileSync(`${FIXTURES}kuma-docs.yaml`, 'utf8');
    const expectations = text.split(/^---$/m).map((chunk) => /^# expect: (.*)$/m.exec(chunk)?.[1]);
    const results = validateDocuments(load(text, 'kuma-docs.yaml'));
    assert.equal(results.length, expectations.length);
    results.forEach((r, i) => {
      const errors = r.violations.filter((v) => v.severity === 'error').map((v) => v.field);
      const expect = expectations[i] ?? '';
      const what = `document ${i} (${r.type} ${r.name})`;
      if (expect === 'valid') assert.deepEqual(r.violations.filter((v) => v.rule !== 'mesh-without-zoneegress'), [], what);
      else if (expect === 'no errors') assert.deepEqual(errors, [], what);
      else assert.deepEqual(errors, expect.replace(/^invalid /, '').split(' '), what);
    });
  });

  test('violations point at the line and column of the key in the Kubernetes document', () => {
    const doc = ['apiVersion: kuma.io/v1alpha1', 'kind: ZoneEgress', 'metadata:', '  name: Bad_Name', '  namespace: kuma-system', 'spec:', '  networking:', '    address: 10.0.0.1', '    port: 70000', ''].join('\n');
    assert.deepEqual(brief(doc), [
      {
        type: 'ZoneEgress',
        valid: false,
        skipped: undefined,
        violations: [
          "4:3 error metadata.name: invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
          '9:5 error spec.networking.port: port must be in the range [1, 65535]',
        ],
      },
    ]);
  });

  test('envelope problems: apiVersion, metadata, spec of the wrong type, meta fields inside spec, a namespace on a cluster-scoped kind', () => {
    assert.deepEqual(brief('apiVersion: kuma.io/v1beta1\nkind: Mesh\nmetadata:\n  name: m\n')[0].violations, ['1:1 error apiVersion: must be kuma.io/v1alpha1 (the version of Kuma\'s Mesh), got "kuma.io/v1beta1"']);
    assert.deepEqual(brief('kind: Mesh\nspec: {}\n')[0].violations, ['1:1 error apiVersion: cannot be empty (Mesh is kuma.io/v1alpha1)', '1:1 error metadata: cannot be empty: metadata.name names the resource']);
    assert.deepEqual(brief('apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: m\nspec: [1]\n')[0].violations, ['5:1 error spec: must be an object']);
    assert.deepEqual(brief('apiVersion: kuma.io/v1alpha1\nkind: ZoneEgress\nmetadata:\n  name: ze\nspec:\n  name: other\n  networking: {port: 10002}\n')[0].violations, [
      '6:3 error spec.name: not a field of the ZoneEgress spec (names, meshes and labels go in metadata)',
    ]);
    assert.deepEqual(brief('apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: m\n  namespace: kuma-system\n')[0], {
      type: 'Mesh',
      valid: true,
      skipped: undefined,
      violations: ["5:3 warning metadata.namespace: ignored: Mesh is cluster-scoped in Kuma's CRD"],
    });
    const strict = brief('apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: m\nstatus: {}\nspec:\n  mtls: {}\n  extra: 1\n', { strict: true })[0];
    assert.deepEqual(strict.violations, ['5:1 error status: unknown field (not allowed with --strict)', '8:3 error spec.extra: unknown field (not allowed with --strict)']);
  });

  test('other API groups are skipped (errors with strictKinds); Kuma kinds zonectl does not model are a warning', () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\napiVersion: kuma.io/v1alpha1\nkind: MeshHTTPRouteX\nmetadata:\n  name: r\n';
    assert.deepEqual(brief(text), [
      { type: 'Deployment', valid: true, skipped: 'apps/v1 Deployment is not a Kuma resource', violations: [] },
      { type: 'ConfigMap', valid: true, skipped: 'v1 ConfigMap is not a Kuma resource', violations: [] },
      { type: 'MeshHTTPRouteX', valid: true, skipped: undefined, violations: ['12:1 warning kind: kuma.io/v1alpha1 MeshHTTPRouteX is a Kuma kind zonectl does not model yet: not validated'] },
    ]);
    const strict = brief(text, { strictKinds: true });
    assert.deepEqual(strict.map((r) => r.valid), [false, false, false]);
    assert.equal(strict[0].violations[0], '2:1 error kind: apps/v1 Deployment is not a Kuma resource (rejected by --strict-kinds: only kuma.io/v1alpha1 kinds zonectl models are accepted)');
  });

  test('duplicates and the mesh-without-egress warning use Kubernetes paths too; both forms of one resource are duplicates', () => {
    const r = brief('type: Mesh\nname: m\n---\napiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata:\n  name: m\nspec:\n  mtls:\n    enabledBackend: ca\n    backends:\n    - name: ca\n      type: builtin\n  routing:\n    zoneEgress: true\n');
    assert.deepEqual(r[1].violations, ['7:3 error metadata.name: duplicate: Mesh "m" is already defined in k8s.yaml (document 0, line 1)', '15:5 warning spec.routing.zoneEgress: no ZoneEgress among the validated resources: cross-zone and external traffic of this mesh would fail (add a ZoneEgress, or validate it together with this Mesh)']);
  });

  test('GlobalSecret is a core/v1 Secret of type system.kuma.io/global-secret, as Kuma keeps it', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', type: 'system.kuma.io/global-secret', metadata: { name: 's1', namespace: 'kuma-system' }, data: { value: 'c2VjcmV0' } };
    const form = classifyDocument(secret);
    assert.equal(form.form === 'kubernetes' && form.kind.kind.type, 'GlobalSecret');
    const conv = fromKubernetes(secret, k8sKind(kindByType('GlobalSecret')!));
    assert.deepEqual(conv.resource, { type: 'GlobalSecret', name: 's1', data: 'c2VjcmV0' });
    assert.deepEqual(toKubernetes(conv.resource), secret);
    assert.equal(classifyDocument({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque' }).form, 'foreign');
    assert.deepEqual(brief('apiVersion: v1\nkind: Secret\ntype: system.kuma.io/global-secret\nmetadata:\n  name: s2\ndata: {}\n')[0].violations, ['6:1 error data.value: cannot be empty']);
  });

  test('Universal -> Kubernetes -> Universal keeps every field, for flat and nested specs and both ways of naming the mesh', () => {
    const resources: Resource[] = [
      { type: 'Mesh', name: 'm', labels: { team: 'a' }, mtls: { enabledBackend: 'ca', backends: [{ name: 'ca', type: 'builtin' }] } },
      { type: 'ZoneEgress', name: 'ze', zone: 'z', networking: { address: '10.0.0.1', port: 10002 } },
      { type: 'ExternalService', name: 'es', mesh: 'm', tags: { 'kuma.io/service': 'es' }, networking: { address: 'h:443' } },
    ];
    for (const r of resources) {
      const k8s = toKubernetes(r)!;
      const form = classifyDocument(k8s);
      assert.equal(form.form, 'kubernetes');
      const back = fromKubernetes(k8s, (form as { kind: K8sKind }).kind);
      assert.deepEqual(back.violations, []);
      assert.deepEqual(back.resource, r);
    }
    assert.deepEqual(toKubernetes(resources[2]), { apiVersion: 'kuma.io/v1alpha1', kind: 'ExternalService', mesh: 'm', metadata: { name: 'es' }, spec: { tags: { 'kuma.io/service': 'es' }, networking: { address: 'h:443' } } });
    // A policy-style kind (mesh in the kuma.io/mesh label, spec nested in Universal too), as Kuma's MeshTrafficPermission.
    const policy: K8sKind = { ...k8sKind(kindByType('ExternalService')!), scope: 'Namespaced', meshIn: 'label', layout: 'nested' };
    const conv = fromKubernetes({ apiVersion: 'kuma.io/v1alpha1', kind: 'ExternalService', metadata: { name: 'p', namespace: 'kuma-demo', labels: { 'kuma.io/mesh': 'm2', x: 'y' } }, spec: { from: [] } }, policy);
    assert.deepEqual(conv.resource, { type: 'ExternalService', name: 'p', mesh: 'm2', labels: { x: 'y' }, spec: { from: [] } });
    assert.equal(conv.fieldOf('spec.from[0].default'), 'spec.from[0].default');
    assert.equal(conv.fieldOf('mesh'), 'metadata.labels["kuma.io/mesh"]');
  });

  test("the Kubernetes form zonectl prints is accepted by Kuma 2.14's CRDs (and ObjectMeta's schema)", async () => {
    const crds = ['kuma.io_meshes.yaml', 'kuma.io_zoneegresses.yaml', 'kuma.io_zoneegressinsights.yaml'].flatMap((f) => loadYamlDocuments(`${FIXTURES}kuma-crds/${f}`));
    const check = crdValidator(crds);
    const outputs = [
      toKubernetes({ type: 'Mesh', name: 'default', creationTime: '2019-07-17T18:08:41Z', modificationTime: '2019-07-17T18:08:41Z', labels: { 'kuma.io/origin': 'zone' }, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } })!,
      toKubernetes({ type: 'ZoneEgress', name: 'zoneegress-1', zone: 'zone-1', networking: { address: '10.0.0.1', port: 10002, admin: { port: 9901 } } })!,
      toKubernetes({ type: 'ZoneEgressInsight', name: 'zoneegress-1', subscriptions: [] })!,
    ];
    for (const o of outputs) {
      assert.deepEqual(check(o), [], String(o.kind));
      await assertValidObjectMeta(o.metadata);
    }
    assert.deepEqual((outputs[1].metadata as { namespace?: string }).namespace, 'kuma-system');
  });
});
