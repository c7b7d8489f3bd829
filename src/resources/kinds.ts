/**
 * The kind registry: one row per resource type zonectl knows. Resource verbs (get, delete,
 * apply), the control plane's REST routes and the validator are all driven from this table, so a
 * new kind is one row here plus its schema and rules.
 */
export type KindScope = 'global' | 'mesh';

export interface KindInfo {
  /** The `type` field, e.g. `ZoneEgress`. */
  type: string;
  scope: KindScope;
  /** REST collection segment: `/zoneegresses`, or `/meshes/{mesh}/external-services`. */
  collection: string;
  /** Names accepted by `get`/`delete` on the CLI (plural first; it is the canonical one). */
  cliNames: string[];
  /** Clients may not PUT/DELETE (insights, overviews): the server answers 405. */
  readOnly: boolean;
  /** Reads are admin-only too (secrets). Writes are always admin-only. */
  adminOnlyRead: boolean;
  /** Has a JSON Schema in `schemas/` and semantic rules; validate/apply accept it. */
  validatable: boolean;
  /**
   * How Kuma's Kubernetes form differs from the defaults (src/resources/kubernetes.ts derives the
   * rest: plural `<type lowercased>s`, global kinds cluster-scoped, mesh-scoped kinds namespaced
   * with the mesh in the `kuma.io/mesh` label). Taken from Kuma's CRDs.
   */
  k8s?: K8sOverrides;
}

export interface K8sPrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
}

export interface K8sOverrides {
  plural?: string;
  shortNames?: string[];
  scope?: 'Cluster' | 'Namespaced';
  /** Where a mesh-scoped kind names its mesh: Kuma's older kinds use a top-level `mesh` field. */
  meshIn?: 'field' | 'label';
  printerColumns?: K8sPrinterColumn[];
  /** Kuma stores this kind as a core/v1 Secret of this `type` (its value in `data.value`), not a CRD. */
  secretType?: string;
}

const kinds: KindInfo[] = [
  {
    type: 'Mesh',
    scope: 'global',
    collection: 'meshes',
    cliNames: ['meshes', 'mesh'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { plural: 'meshes', shortNames: ['m'] },
  },
  {
    type: 'ZoneEgress',
    scope: 'global',
    collection: 'zoneegresses',
    cliNames: ['zoneegresses', 'zoneegress', 'zone-egresses', 'zone-egress'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { plural: 'zoneegresses', shortNames: ['ze'], scope: 'Namespaced', printerColumns: [{ name: 'zone', type: 'string', jsonPath: '.spec.zone', description: 'Zone name' }] },
  },
  {
    type: 'ZoneIngress',
    scope: 'global',
    collection: 'zoneingresses',
    cliNames: ['zoneingresses', 'zoneingress', 'zone-ingresses', 'zone-ingress'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { plural: 'zoneingresses', scope: 'Namespaced' },
  },
  {
    type: 'ExternalService',
    scope: 'mesh',
    collection: 'external-services',
    cliNames: ['external-services', 'external-service', 'externalservices', 'externalservice'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { scope: 'Cluster', meshIn: 'field' },
  },
  {
    type: 'MeshTrafficPermission',
    scope: 'mesh',
    collection: 'meshtrafficpermissions',
    cliNames: ['meshtrafficpermissions', 'meshtrafficpermission', 'mtp'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { shortNames: ['mtp'], printerColumns: [{ name: 'TargetRef Kind', type: 'string', jsonPath: '.spec.targetRef.kind' }, { name: 'TargetRef Name', type: 'string', jsonPath: '.spec.targetRef.name' }] },
  },
  {
    type: 'MeshAccessLog',
    scope: 'mesh',
    collection: 'meshaccesslogs',
    cliNames: ['meshaccesslogs', 'meshaccesslog', 'mal'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
    k8s: { shortNames: ['mal'], printerColumns: [{ name: 'TargetRef Kind', type: 'string', jsonPath: '.spec.targetRef.kind' }, { name: 'TargetRef Name', type: 'string', jsonPath: '.spec.targetRef.name' }] },
  },
  {
    type: 'ZoneEgressInsight',
    scope: 'global',
    collection: 'zoneegressinsights',
    cliNames: ['zoneegressinsights', 'zoneegressinsight'],
    readOnly: true,
    adminOnlyRead: false,
    validatable: false,
    k8s: { plural: 'zoneegressinsights', scope: 'Namespaced' },
  },
  {
    type: 'Zone',
    scope: 'global',
    collection: 'zones',
    cliNames: ['zones', 'zone'],
    // Created by the global when a zone control plane first connects (Kuma lets operators
    // pre-create and disable zones; zonectl does not yet).
    readOnly: true,
    adminOnlyRead: false,
    validatable: false,
    k8s: { shortNames: ['z'] },
  },
  {
    type: 'ZoneInsight',
    scope: 'global',
    collection: 'zoneinsights',
    cliNames: ['zoneinsights', 'zoneinsight', 'zone-insights', 'zone-insight'],
    readOnly: true,
    adminOnlyRead: false,
    validatable: false,
  },
  {
    type: 'GlobalSecret',
    scope: 'global',
    collection: 'global-secrets',
    cliNames: ['global-secrets', 'global-secret', 'globalsecrets', 'globalsecret'],
    readOnly: false,
    adminOnlyRead: true,
    validatable: true,
    k8s: { secretType: 'system.kuma.io/global-secret' },
  },
];

const byType = new Map(kinds.map((k) => [k.type, k]));
const byCliName = new Map(kinds.flatMap((k) => k.cliNames.map((n) => [n, k] as const)));
const byCollection = new Map(kinds.map((k) => [k.collection, k]));

export function allKinds(): readonly KindInfo[] {
  return kinds;
}

export function kindByType(type: string): KindInfo | undefined {
  return byType.get(type);
}

export function kindByCliName(name: string): KindInfo | undefined {
  return byCliName.get(name.toLowerCase());
}

export function kindByCollection(collection: string): KindInfo | undefined {
  return byCollection.get(collection);
}

/** REST path of a collection or one item: `/meshes/m1/external-services/es-1`. */
export function resourcePath(kind: KindInfo, mesh?: string, name?: string): string {
  const base = kind.scope === 'mesh' ? `/meshes/${encodeURIComponent(mesh ?? 'default')}/${kind.collection}` : `/${kind.collection}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}
