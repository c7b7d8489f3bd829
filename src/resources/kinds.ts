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
  },
  {
    type: 'ZoneEgress',
    scope: 'global',
    collection: 'zoneegresses',
    cliNames: ['zoneegresses', 'zoneegress', 'zone-egresses', 'zone-egress'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
  },
  {
    type: 'ZoneIngress',
    scope: 'global',
    collection: 'zoneingresses',
    cliNames: ['zoneingresses', 'zoneingress', 'zone-ingresses', 'zone-ingress'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
  },
  {
    type: 'ExternalService',
    scope: 'mesh',
    collection: 'external-services',
    cliNames: ['external-services', 'external-service', 'externalservices', 'externalservice'],
    readOnly: false,
    adminOnlyRead: false,
    validatable: true,
  },
  {
    type: 'ZoneEgressInsight',
    scope: 'global',
    collection: 'zoneegressinsights',
    cliNames: ['zoneegressinsights', 'zoneegressinsight'],
    readOnly: true,
    adminOnlyRead: false,
    validatable: false,
  },
  {
    type: 'GlobalSecret',
    scope: 'global',
    collection: 'global-secrets',
    cliNames: ['global-secrets', 'global-secret'],
    readOnly: false,
    adminOnlyRead: true,
    validatable: true,
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
