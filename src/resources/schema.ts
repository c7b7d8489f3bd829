/**
 * The JSON Schema half of validation: runs the ajv standalone validators generated at build time
 * from schemas/ (scripts/build.d/01-schemas.mjs) and turns ajv's errors into zonectl violations
 * with dotted field paths and messages in Kuma's style.
 */
import type { Violation } from '../core/errors.js';
import { joinField } from './field-path.js';
import * as generated from './generated/validators.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type CompiledValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const validators = generated as unknown as Record<string, CompiledValidator | undefined>;

/** Kinds that have a schema (the `type` values validateResource accepts). */
export const SCHEMA_KINDS: readonly string[] = ['Mesh', 'ZoneEgress', 'ZoneIngress', 'ExternalService', 'GlobalSecret', 'MeshTrafficPermission', 'MeshAccessLog'];

/** Runs the schema of `type` over `doc`; [] when valid. Returns undefined for a type without a schema. */
export function schemaViolations(type: string, doc: unknown, strict: boolean): Violation[] | undefined {
  const validate = validators[strict ? `${type}Strict` : type];
  if (!validate) return undefined;
  if (validate(doc)) return [];
  return (validate.errors ?? []).flatMap(toViolation);
}

function toViolation(e: AjvError): Violation[] {
  const base = pointerToField(e.instancePath);
  switch (e.keyword) {
    // Branch selection of if/then: the error that matters is reported by the branch itself.
    case 'if':
      return [];
    case 'required':
      return [{ field: joinField(base, String(e.params.missingProperty)), message: 'cannot be empty' }];
    case 'additionalProperties':
      return [{ field: joinField(base, String(e.params.additionalProperty)), message: 'unknown field (not allowed with --strict)' }];
    case 'type':
      return [{ field: base, message: `must be ${article(String(e.params.type))}` }];
    case 'enum':
      return [{ field: base, message: `has invalid value. Allowed values: ${(e.params.allowedValues as unknown[]).join(', ')}` }];
    case 'const':
      return [{ field: base, message: `must be ${JSON.stringify(e.params.allowedValue)}` }];
    case 'maxLength':
      return [{ field: base, message: `value length must less or equal ${String(e.params.limit)}` }];
    case 'minimum':
      return [{ field: base, message: `must be greater than or equal to ${String(e.params.limit)}` }];
    case 'maximum':
      return [{ field: base, message: `must be less than or equal to ${String(e.params.limit)}` }];
    default:
      return [{ field: base, message: e.message ?? `is invalid (${e.keyword})` }];
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `/mtls/backends/0/name` -> `mtls.backends[0].name`; `/tags/kuma.io~1service` -> `tags["kuma.io/service"]`. */
export function pointerToField(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = joinField(out, seg);
  }
  return out;
}

/**
 * Fields the schema of `type` does not define, as paths (`networking.adress`) and JSON Pointer
 * segments to reach them; [] for a type without a schema. What the strict schema reports as
 * additional properties, and nothing else.
 */
export function unknownFields(type: string, doc: unknown): { field: string; path: string[] }[] {
  const validate = validators[`${type}Strict`];
  if (!validate || validate(doc)) return [];
  const out: { field: string; path: string[] }[] = [];
  for (const e of validate.errors ?? []) {
    if (e.keyword !== 'additionalProperties') continue;
    const parent = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const key = String(e.params.additionalProperty);
    out.push({ field: joinField(pointerToField(e.instancePath), key), path: [...parent, key] });
  }
  return out;
}

/**
 * A copy of `doc` without the fields its schema does not define (Kuma's decoder drops them), and
 * their paths, for the `warnings` of a PUT.
 */
export function dropUnknownFields<T>(type: string, doc: T): { value: T; dropped: string[] } {
  const unknown = unknownFields(type, doc);
  if (unknown.length === 0) return { value: doc, dropped: [] };
  const value = structuredClone(doc) as unknown;
  for (const u of unknown) {
    let node = value as Record<string, unknown> | unknown[] | undefined;
    for (const seg of u.path.slice(0, -1)) node = node === undefined ? undefined : ((node as Record<string, unknown>)[seg] as Record<string, unknown> | undefined);
    if (node && typeof node === 'object' && !Array.isArray(node)) delete node[u.path[u.path.length - 1]];
  }
  return { value: value as T, dropped: [...new Set(unknown.map((u) => u.field))] };
}
