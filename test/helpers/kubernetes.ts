/**
 * Checks against Kubernetes' own schemas, without a cluster: built-in kinds through the
 * kubernetes-models package (the OpenAPI of the Kubernetes version the README names), custom
 * resources through the openAPIV3Schema of their CRD (what the API server checks them with).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';

type Obj = Record<string, unknown>;
interface Validatable {
  validate(): void;
}

/** `apps/v1` -> `kubernetes-models/apps/v1/<Kind>`; `v1` -> `kubernetes-models/v1/<Kind>`. */
async function modelOf(apiVersion: string, kind: string): Promise<new (data: Obj) => Validatable> {
  const mod = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, new (data: Obj) => Validatable>;
  const model = mod[kind];
  if (!model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model;
}

/** Throws with kubernetes-models' message when `o` (a built-in kind) does not match Kubernetes' schema. */
export async function assertValidK8sObject(o: Obj): Promise<void> {
  const Model = await modelOf(String(o.apiVersion), String(o.kind));
  try {
    new Model(o).validate();
  } catch (err) {
    throw new Error(`${String(o.kind)} ${JSON.stringify((o.metadata as Obj | undefined)?.name)}: ${(err as Error).message}`);
  }
}

export function loadYamlDocuments(path: string): Obj[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Obj).filter((d) => d !== null);
}

/** Drops the Kubernetes extensions ajv does not know; keeps the JSON Schema subset. */
function plain(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(plain);
  if (node === null || typeof node !== 'object') return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node as Obj)) if (!k.startsWith('x-kubernetes-') && k !== 'nullable') out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Obj).map(([p, s]) => [p, plain(s)])) : plain(v);
  return out;
}

/** A validator for the custom resources of these CRDs: the CRD's schema plus ObjectMeta's. */
export function crdValidator(crds: Obj[]): (o: Obj) => string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const byKind = new Map<string, { group: string; versions: string[]; validate: ReturnType<Ajv['compile']> }>();
  for (const crd of crds) {
    const spec = crd.spec as Obj;
    const names = spec.names as Obj;
    const versions = spec.versions as Obj[];
    const schema = (versions[0].schema as Obj).openAPIV3Schema;
    byKind.set(String(names.kind), { group: String(spec.group), versions: versions.map((v) => String(v.name)), validate: ajv.compile(plain(schema) as object) });
  }
  return (o) => {
    const entry = byKind.get(String(o.kind));
    if (!entry) return [`no CRD for kind ${String(o.kind)}`];
    const errors: string[] = [];
    if (!entry.versions.some((v) => `${entry.group}/${v}` === o.apiVersion)) errors.push(`apiVersion ${String(o.apiVersion)} is not served by the CRD`);
    if (!entry.validate(o)) errors.push(...(entry.validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
    return errors;
  };
}

/** ObjectMeta of a custom resource, checked with Kubernetes' schema (the CRD only says `type: object`). */
export async function assertValidObjectMeta(metadata: unknown): Promise<void> {
  const { ObjectMeta } = (await import('@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta')) as { ObjectMeta: new (d: unknown) => Validatable };
  new ObjectMeta(metadata).validate();
}
