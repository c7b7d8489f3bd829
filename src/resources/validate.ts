/**
 * Validation of one resource document: JSON Schema (compiled at build time) plus Kuma's semantic
 * rules. Synchronous and allocation-light: the control plane calls it on every PUT.
 */
import type { Violation } from '../core/errors.js';
import { kindByType } from './kinds.js';
import { obj, Violations, type Obj } from './rules/common.js';
import { checkMesh } from './rules/mesh.js';
import { checkMeta } from './rules/meta.js';
import { checkMeshAccessLog, checkMeshTrafficPermission } from './rules/policies.js';
import { checkExternalService, checkGlobalSecret, checkZoneEgress, checkZoneIngress } from './rules/proxies.js';
import { SCHEMA_KINDS, schemaViolations } from './schema.js';

export interface ValidateOptions {
  /** Reject fields the schema does not know (`zonectl validate --strict`). */
  strict?: boolean;
}

const KIND_RULES: Record<string, (v: Violations, doc: Obj) => void> = {
  Mesh: checkMesh,
  ZoneEgress: checkZoneEgress,
  ZoneIngress: checkZoneIngress,
  ExternalService: checkExternalService,
  GlobalSecret: checkGlobalSecret,
  MeshTrafficPermission: checkMeshTrafficPermission,
  MeshAccessLog: checkMeshAccessLog,
};

/**
 * Contract: validates one parsed document (the JSON object of a resource in Universal format)
 * and returns every violation found, in a stable order (schema, then meta, then the kind's rules;
 * duplicates removed); an empty array means valid. A missing or unknown `type` is a violation on
 * field `type`. Never throws for any input.
 */
export function validateResource(doc: unknown, opts: ValidateOptions = {}): Violation[] {
  const o = obj(doc);
  if (!o) return [{ field: '', message: `must be an object with type and name (got ${describe(doc)})` }];
  const type = o.type;
  if (type === undefined || type === null || type === '') return [{ field: 'type', message: 'cannot be empty' }];
  if (typeof type !== 'string') return [{ field: 'type', message: 'must be a string' }];
  const kind = kindByType(type);
  const rules = KIND_RULES[type];
  if (!kind || !rules || !kind.validatable) {
    const why = kind ? `${type} is read-only: it cannot be validated or applied` : `unknown type ${JSON.stringify(type)}`;
    return [{ field: 'type', message: `${why}. Supported types: ${SCHEMA_KINDS.join(', ')}` }];
  }
  const v = new Violations();
  for (const s of schemaViolations(type, o, opts.strict === true) ?? []) v.list.push(s);
  checkMeta(v, o, { meshScoped: kind.scope === 'mesh', isMesh: type === 'Mesh' });
  rules(v, o);
  return dedupe(v.list);
}

function dedupe(list: Violation[]): Violation[] {
  if (list.length < 2) return list;
  const seen = new Set<string>();
  return list.filter((x) => {
    const key = `${x.field}\u0000${x.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return 'an empty document';
  if (Array.isArray(x)) return 'a list';
  return `a ${typeof x}`;
}

/** Where a PUT was addressed: the type, mesh (mesh-scoped kinds) and name in the URL. */
export interface UrlMeta {
  type: string;
  name: string;
  mesh?: string;
}

/**
 * Contract: Kuma's URL-vs-body checks for `PUT /meshes/{mesh}/{collection}/{name}`, in Kuma's
 * order (name, mesh, type), with Kuma's messages. Returns [] when the body agrees with the URL.
 * A control plane reports these before the violations of validateResource().
 */
export function checkUrlMeta(doc: unknown, url: UrlMeta): Violation[] {
  const body = obj(doc) ?? {};
  const out: Violation[] = [];
  if (body.name !== url.name) out.push({ field: 'name', message: 'name from the URL has to be the same as in body' });
  if (url.mesh !== undefined && body.mesh !== url.mesh) out.push({ field: 'mesh', message: 'mesh from the URL has to be the same as in body' });
  if (body.type !== url.type) out.push({ field: 'type', message: 'type from the URL has to be the same as in body' });
  return out;
}
