/**
 * Kuma's Kubernetes resource form (`apiVersion: kuma.io/v1alpha1`, `kind`, `metadata`, `spec`), as
 * Kuma's CRDs define it, converted to and from the Universal form the rest of zonectl works on.
 * Everything is derived from the kind registry and the schemas (the spec layout is generated from
 * schemas/ at build time), so a kind added there gets its Kubernetes form without code here.
 *
 * Naming: a resource's zonectl name is `metadata.name`; `metadata.namespace` says where it lives
 * in a cluster and is not part of the name (Kuma on Kubernetes names namespaced resources
 * `<name>.<namespace>` in its API; zonectl's control plane is not a cluster, so it does not).
 */
import type { Violation } from '../core/errors.js';
import { joinField, parseFieldPath } from './field-path.js';
import { SPEC_LAYOUTS } from './generated/kubernetes.js';
import { allKinds, kindByType, type K8sPrinterColumn, type KindInfo } from './kinds.js';
import { obj, type Obj } from './rules/common.js';
import { META_KEYS, type Resource } from './types.js';

export const KUMA_GROUP = 'kuma.io';
export const KUMA_VERSION = 'v1alpha1';
export const KUMA_API_VERSION = `${KUMA_GROUP}/${KUMA_VERSION}`;
/** The label that names the mesh of Kuma's newer mesh-scoped kinds (policies). */
export const MESH_LABEL = 'kuma.io/mesh';
/** Kuma's system namespace: where its namespaced resources (ZoneEgress, policies) live. */
export const SYSTEM_NAMESPACE = 'kuma-system';

/** The Kubernetes names and shape of one kind, as in Kuma's CRD for it. */
export interface K8sKind {
  kind: KindInfo;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: string[];
  scope: 'Cluster' | 'Namespaced';
  /** Where the mesh is named: top-level `mesh` (Kuma's older kinds), the `kuma.io/mesh` label, or nowhere (global kinds). */
  meshIn: 'field' | 'label' | 'none';
  printerColumns: K8sPrinterColumn[];
  /** Set for kinds Kuma keeps in a core/v1 Secret (GlobalSecret) instead of a CRD. */
  secretType?: string;
  /** Universal form: spec fields beside the meta fields (`flat`) or under `spec` (`nested`). */
  layout: 'flat' | 'nested';
}

const cache = new Map<string, K8sKind>();

export function k8sKind(kind: KindInfo): K8sKind {
  let k = cache.get(kind.type);
  if (k) return k;
  const o = kind.k8s ?? {};
  const singular = kind.type.toLowerCase();
  k = {
    kind,
    plural: o.plural ?? (/(s|x|ch|sh)$/.test(singular) ? `${singular}es` : `${singular}s`),
    singular,
    listKind: `${kind.type}List`,
    shortNames: o.shortNames ?? [],
    scope: o.scope ?? (kind.scope === 'mesh' ? 'Namespaced' : 'Cluster'),
    meshIn: kind.scope === 'mesh' ? (o.meshIn ?? 'label') : 'none',
    printerColumns: o.printerColumns ?? [],
    secretType: o.secretType,
    layout: SPEC_LAYOUTS[kind.type] ?? 'flat',
  };
  cache.set(kind.type, k);
  return k;
}

/** Kinds that have a CustomResourceDefinition (every kind but those Kuma keeps in Secrets). */
export function crdKinds(): K8sKind[] {
  return allKinds()
    .map(k8sKind)
    .filter((k) => k.secretType === undefined);
}

/** What a parsed document is. */
export type DocumentForm =
  | { form: 'universal' }
  /** A Kuma kind zonectl models, in Kubernetes form. */
  | { form: 'kubernetes'; kind: K8sKind }
  /** A kind of Kuma's API group that zonectl does not model (yet). */
  | { form: 'unmodeled'; apiVersion: string; kind: string; name?: string }
  /** An object of another API group (a Deployment, a ConfigMap): not zonectl's business. */
  | { form: 'foreign'; apiVersion: string; kind: string; name?: string };

/**
 * Contract: an object with `apiVersion` and `kind`, or without `type` and with one of them, is a
 * Kubernetes object; everything else (non-objects too) is Universal, and validation reports its
 * problems.
 * A Kubernetes object without apiVersion whose kind zonectl models is taken as Kuma's (the
 * missing apiVersion is then a violation); other objects without apiVersion are foreign.
 */
export function classifyDocument(value: unknown): DocumentForm {
  const o = obj(value);
  if (!o) return { form: 'universal' };
  const hasApiVersion = o.apiVersion !== undefined;
  const hasKind = o.kind !== undefined;
  // A core/v1 Secret has a `type` too, so both apiVersion and kind win over it.
  if (!(hasApiVersion && hasKind) && (o.type !== undefined || (!hasApiVersion && !hasKind))) return { form: 'universal' };
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const kindName = typeof o.kind === 'string' ? o.kind : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const name = typeof obj(o.metadata)?.name === 'string' ? (obj(o.metadata)?.name as string) : undefined;
  if (group === KUMA_GROUP || (apiVersion === '' && kindName !== '')) {
    const kind = kindByType(kindName);
    if (kind && k8sKind(kind).secretType === undefined) return { form: 'kubernetes', kind: k8sKind(kind) };
    if (group === KUMA_GROUP) return { form: 'unmodeled', apiVersion, kind: kindName, name };
  }
  if (apiVersion === 'v1' && kindName === 'Secret' && typeof o.type === 'string') {
    const kind = allKinds().find((k) => k.k8s?.secretType === o.type);
    if (kind) return { form: 'kubernetes', kind: k8sKind(kind) };
  }
  return { form: 'foreign', apiVersion, kind: kindName, name };
}

export interface FromKubernetesOptions {
  /** Reject top-level fields Kuma's CRD does not define (`validate --strict`). */
  strict?: boolean;
}

export interface FromKubernetes {
  /** The Universal form (what the control plane stores and the REST API carries). */
  resource: Resource;
  /** Problems of the Kubernetes envelope itself, with Kubernetes field paths. */
  violations: Violation[];
  warnings: Violation[];
  /** Maps a field path of the Universal form to the same value's path in the Kubernetes document. */
  fieldOf(universalField: string): string;
}

const CRD_TOP_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec']);

/**
 * Contract: converts a Kubernetes-form document of `k` to the Universal form. Never throws: a
 * field of the wrong type is left out of the resource and reported (Kubernetes paths), so the
 * Universal validation that follows reports what is missing, at the path fieldOf() gives.
 */
export function fromKubernetes(doc: Obj, k: K8sKind, opts: FromKubernetesOptions = {}): FromKubernetes {
  const violations: Violation[] = [];
  const warnings: Violation[] = [];
  const resource = { type: k.kind.type } as Resource;
  const expected = k.secretType ? 'v1' : KUMA_API_VERSION;
  if (doc.apiVersion === undefined || doc.apiVersion === '') violations.push({ field: 'apiVersion', message: `cannot be empty (${k.kind.type} is ${expected})` });
  else if (doc.apiVersion !== expected) violations.push({ field: 'apiVersion', message: `must be ${expected} (the version of Kuma's ${k.kind.type}), got ${JSON.stringify(doc.apiVersion)}` });

  const meta = readMetadata(doc, k, resource, violations, warnings);
  if (k.secretType) readSecret(doc, resource, violations);
  else readSpec(doc, k, resource, violations);

  if (k.meshIn === 'field' && doc.mesh !== undefined) {
    if (typeof doc.mesh === 'string') resource.mesh = doc.mesh;
    else violations.push({ field: 'mesh', message: 'must be a string' });
  } else if (k.meshIn === 'label' && meta?.labelMesh !== undefined) {
    resource.mesh = meta.labelMesh;
  }
  if (doc.mesh !== undefined && k.meshIn !== 'field' && !k.secretType) {
    const why = k.meshIn === 'label' ? `${k.kind.type} names its mesh in the ${MESH_LABEL} label` : `${k.kind.type} is not mesh-scoped`;
    (opts.strict ? violations : warnings).push({ field: 'mesh', message: `ignored: ${why}` });
  }
  if (opts.strict) {
    const allowed = k.secretType ? new Set(['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'immutable']) : CRD_TOP_KEYS;
    for (const key of Object.keys(doc)) {
      if (!allowed.has(key) && !(key === 'mesh' && k.meshIn === 'field')) violations.push({ field: joinField('', key), message: 'unknown field (not allowed with --strict)' });
    }
  }
  return { resource, violations, warnings, fieldOf: (f) => k8sFieldOf(k, f) };
}

function readMetadata(doc: Obj, k: K8sKind, resource: Resource, violations: Violation[], warnings: Violation[]): { labelMesh?: string } | undefined {
  if (doc.metadata === undefined || doc.metadata === null) {
    violations.push({ field: 'metadata', message: 'cannot be empty: metadata.name names the resource' });
    return undefined;
  }
  const meta = obj(doc.metadata);
  if (!meta) {
    violations.push({ field: 'metadata', message: 'must be an object' });
    return undefined;
  }
  if (meta.name === undefined || meta.name === null || meta.name === '') violations.push({ field: 'metadata.name', message: 'cannot be empty' });
  else if (typeof meta.name !== 'string') violations.push({ field: 'metadata.name', message: 'must be a string' });
  else resource.name = meta.name;
  if (meta.namespace !== undefined) {
    if (typeof meta.namespace !== 'string') violations.push({ field: 'metadata.namespace', message: 'must be a string' });
    else if (k.scope === 'Cluster') warnings.push({ field: 'metadata.namespace', message: `ignored: ${k.kind.type} is cluster-scoped in Kuma's CRD` });
  }
  if (meta.labels === undefined || meta.labels === null) return {};
  const labels = obj(meta.labels);
  if (!labels) {
    violations.push({ field: 'metadata.labels', message: 'must be an object' });
    return {};
  }
  const rest: Record<string, unknown> = {};
  let labelMesh: string | undefined;
  for (const [key, value] of Object.entries(labels)) {
    if (key === MESH_LABEL && k.meshIn === 'label') {
      if (typeof value === 'string') labelMesh = value;
      else violations.push({ field: joinField('metadata.labels', key), message: 'must be a string' });
    } else rest[key] = value;
  }
  // Universal validation checks the label values (their paths map back to metadata.labels).
  if (Object.keys(rest).length > 0) resource.labels = rest as Record<string, string>;
  return { labelMesh };
}

function readSpec(doc: Obj, k: K8sKind, resource: Resource, violations: Violation[]): void {
  if (doc.spec === undefined || doc.spec === null) return;
  const spec = obj(doc.spec);
  if (!spec) {
    violations.push({ field: 'spec', message: 'must be an object' });
    return;
  }
  if (k.layout === 'nested') {
    resource.spec = spec;
    return;
  }
  for (const [key, value] of Object.entries(spec)) {
    if (META_KEYS.has(key)) violations.push({ field: joinField('spec', key), message: `not a field of the ${k.kind.type} spec (names, meshes and labels go in metadata)` });
    else resource[key] = value;
  }
}

function readSecret(doc: Obj, resource: Resource, violations: Violation[]): void {
  const data = obj(doc.data);
  const stringData = obj(doc.stringData);
  if (doc.data !== undefined && !data) violations.push({ field: 'data', message: 'must be an object' });
  if (data?.value !== undefined) resource.data = data.value;
  // stringData is Kubernetes' plain-text convenience; the API server encodes it the same way.
  else if (typeof stringData?.value === 'string') resource.data = Buffer.from(stringData.value, 'utf8').toString('base64');
}

function k8sFieldOf(k: K8sKind, field: string): string {
  if (field === '') return '';
  const segs = parseFieldPath(field);
  const rest = (base: string, from = 1) => segs.slice(from).reduce<string>((p, s) => joinField(p, s), base);
  switch (segs[0]) {
    case 'type':
      return 'kind';
    case 'name':
      return 'metadata.name';
    case 'mesh':
      return k.meshIn === 'field' ? 'mesh' : joinField('metadata.labels', MESH_LABEL);
    case 'labels':
      return rest('metadata.labels');
    case 'creationTime':
    case 'modificationTime':
    case 'kri':
      return 'metadata';
    default:
      if (k.secretType) return segs[0] === 'data' ? 'data.value' : field;
      return k.layout === 'nested' ? field : rest(joinField('spec', segs[0]));
  }
}

export interface ToKubernetesOptions {
  /** Namespace of namespaced kinds (default kuma-system). */
  namespace?: string;
}

/**
 * Contract: the Kubernetes form of a Universal resource, as Kuma's CRDs define it and `kubectl
 * apply` takes it: server-set times become `metadata.creationTimestamp`; `kri` is dropped.
 * Returns undefined for a type the registry does not know.
 */
export function toKubernetes(r: Resource, opts: ToKubernetesOptions = {}): Record<string, unknown> | undefined {
  const kind = kindByType(r.type);
  if (!kind) return undefined;
  const k = k8sKind(kind);
  const metadata: Record<string, unknown> = { name: r.name };
  if (k.scope === 'Namespaced' || k.secretType) metadata.namespace = opts.namespace ?? SYSTEM_NAMESPACE;
  const labels: Record<string, string> = { ...(r.labels ?? {}) };
  if (k.meshIn === 'label') labels[MESH_LABEL] = r.mesh ?? 'default';
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (typeof r.creationTime === 'string') metadata.creationTimestamp = r.creationTime;
  if (k.secretType) return { apiVersion: 'v1', kind: 'Secret', metadata, type: k.secretType, data: { value: r.data } };
  const out: Record<string, unknown> = { apiVersion: KUMA_API_VERSION, kind: kind.type };
  if (k.meshIn === 'field') out.mesh = r.mesh ?? 'default';
  out.metadata = metadata;
  out.spec = k.layout === 'nested' ? (r.spec ?? {}) : specFields(r);
  return out;
}

function specFields(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(r)) if (!META_KEYS.has(key)) out[key] = value;
  return out;
}
