/**
 * CustomResourceDefinitions for every kind zonectl serves, from the kind registry (names, scope,
 * short names, printer columns as Kuma's CRDs) and the spec schemas generated from schemas/ at
 * build time (scripts/build.d/02-kubernetes.mjs). Pure: objects in, objects out.
 */
import { CRD_SPEC_SCHEMAS } from '../resources/generated/crd-specs.js';
import { crdKinds, KUMA_GROUP, KUMA_VERSION, type K8sKind } from '../resources/kubernetes.js';

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

const API_VERSION_DOC =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.';
const KIND_DOC = 'Kind is a string value representing the REST resource this object represents. In CamelCase.';

export function renderCrd(k: K8sKind, labels: Record<string, string> = {}): K8sObject {
  const properties: Record<string, unknown> = {
    apiVersion: { description: API_VERSION_DOC, type: 'string' },
    kind: { description: KIND_DOC, type: 'string' },
  };
  if (k.meshIn === 'field') properties.mesh = { description: 'Mesh is the name of the Kuma mesh this resource belongs to.', type: 'string' };
  properties.metadata = { type: 'object' };
  properties.spec = CRD_SPEC_SCHEMAS[k.kind.type] ?? { description: `Spec is the specification of the Kuma ${k.kind.type} resource.`, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const names: Record<string, unknown> = { categories: ['kuma'], kind: k.kind.type, listKind: k.listKind, plural: k.plural };
  if (k.shortNames.length) names.shortNames = [...k.shortNames];
  names.singular = k.singular;
  const version: Record<string, unknown> = { name: KUMA_VERSION };
  if (k.printerColumns.length) version.additionalPrinterColumns = k.printerColumns.map((c) => ({ ...c }));
  Object.assign(version, { schema: { openAPIV3Schema: { type: 'object', properties } }, served: true, storage: true });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${KUMA_GROUP}`, ...(Object.keys(labels).length ? { labels: { ...labels } } : {}) },
    spec: { group: KUMA_GROUP, names, scope: k.scope, versions: [version] },
  };
}

/** Contract: one CRD per kind of the registry that Kuma keeps in a CRD, in registry order. */
export function renderCrds(labels: Record<string, string> = {}): K8sObject[] {
  return crdKinds().map((k) => renderCrd(k, labels));
}
