// Derives, from the same JSON Schemas the validators are compiled from (schemas/, the one source of
// truth), what the Kubernetes form of each kind needs: where its spec lives in the Universal form
// (`flat`: spec fields beside type/name, as Kuma's Mesh and ZoneEgress; `nested`: under `spec`, as
// Kuma's new policies) and the spec's OpenAPI v3 schema for its CustomResourceDefinition.
// Output: src/resources/generated/kubernetes.ts (layouts, tiny: the validate fast path loads it)
// and src/resources/generated/crd-specs.ts (schemas: only `zonectl install` loads it).
//
// A CRD needs a *structural* schema (apiextensions.k8s.io/v1): every node typed, no $ref, no
// if/then/else, `additionalProperties` only for maps, RE2 patterns. What JSON Schema can say and a
// structural schema cannot (conditionals, one-of choices) is left to the control plane's own
// validation; unknown fields are preserved, as zonectl's default (non --strict) validation allows.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KIND_SCHEMAS, SHARED } from './01-schemas.mjs';

const META_KEYS = new Set(['type', 'name', 'mesh', 'labels', 'creationTime', 'modificationTime', 'kri']);
const KEEP = ['description', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'nullable'];
// Formats the API server knows (k8s.io/kube-openapi's strfmt list, the common ones).
const K8S_FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'cidr', 'mac', 'uuid', 'uri']);

function loadSchemas(dir) {
  const byId = new Map();
  for (const f of [...SHARED, ...Object.values(KIND_SCHEMAS)]) {
    const s = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    byId.set(f, s);
  }
  return byId;
}

/** Resolves `#/$defs/x` (in `file`) and `other.schema.json#/$defs/x`; returns [schema, its file]. */
function resolveRef(ref, file, byId) {
  const [target, pointer = ''] = ref.split('#');
  const f = target === '' ? file : target;
  let node = byId.get(f);
  if (!node) throw new Error(`schemas: ${file}: $ref ${ref} points to an unknown file`);
  for (const seg of pointer.split('/').filter(Boolean)) node = node?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!node) throw new Error(`schemas: ${file}: $ref ${ref} does not resolve`);
  return [node, f];
}

function re2Safe(pattern) {
  return !/\(\?[=!<]|\\[1-9]/.test(pattern);
}

/** JSON Schema (2020-12) node -> structural OpenAPI v3 node. */
export function structural(node, file, byId, depth = 0) {
  if (depth > 40) throw new Error(`schemas: ${file}: $ref cycle`);
  if (node === true || node === undefined) return { 'x-kubernetes-preserve-unknown-fields': true };
  if (node.$ref) {
    const [target, f] = resolveRef(node.$ref, file, byId);
    const { $ref: _r, ...siblings } = node;
    return structural({ ...target, ...siblings, $ref: target.$ref }, f, byId, depth + 1);
  }
  const out = {};
  let type = node.type;
  if (node.const !== undefined) {
    type ??= typeof node.const === 'number' ? (Number.isInteger(node.const) ? 'integer' : 'number') : typeof node.const;
    out.enum = [node.const];
  }
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    if (rest.length < type.length) out.nullable = true;
    if (rest.length === 2 && rest.includes('string') && rest.includes('integer')) {
      out['x-kubernetes-int-or-string'] = true;
      type = undefined;
    } else type = rest.length === 1 ? rest[0] : undefined;
  }
  type ??= node.properties ? 'object' : node.items ? 'array' : undefined;
  for (const k of KEEP) if (node[k] !== undefined && out[k] === undefined) out[k] = node[k];
  if (typeof node.pattern === 'string' && re2Safe(node.pattern)) out.pattern = node.pattern;
  if (typeof node.format === 'string' && K8S_FORMATS.has(node.format)) out.format = node.format;
  if (typeof node.exclusiveMinimum === 'number') Object.assign(out, { minimum: node.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof node.exclusiveMaximum === 'number') Object.assign(out, { maximum: node.exclusiveMaximum, exclusiveMaximum: true });
  if (type === undefined) {
    if (!out['x-kubernetes-int-or-string']) out['x-kubernetes-preserve-unknown-fields'] = true;
    return out;
  }
  out.type = type;
  if (type === 'object') {
    if (node.properties) {
      out.properties = {};
      for (const [k, v] of Object.entries(node.properties)) out.properties[k] = structural(v, file, byId, depth + 1);
      if (Array.isArray(node.required) && node.required.length) out.required = [...node.required];
      // Unknown fields are allowed (not --strict), so the API server must not prune them.
      if (node.additionalProperties !== false) out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      out.additionalProperties = structural(node.additionalProperties, file, byId, depth + 1);
    } else {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  } else if (type === 'array') {
    out.items = structural(node.items, file, byId, depth + 1);
  }
  return out;
}

export function kubernetesSpecs(root) {
  const byId = loadSchemas(join(root, 'schemas'));
  const layouts = {};
  const specs = {};
  for (const [kind, f] of Object.entries(KIND_SCHEMAS)) {
    const schema = byId.get(f);
    const props = schema.properties ?? {};
    if (props.spec) {
      layouts[kind] = 'nested';
      specs[kind] = structural(props.spec, f, byId);
    } else {
      layouts[kind] = 'flat';
      const specProps = Object.fromEntries(Object.entries(props).filter(([k]) => !META_KEYS.has(k)));
      const required = (schema.required ?? []).filter((k) => !META_KEYS.has(k));
      specs[kind] = structural({ type: 'object', properties: specProps, ...(required.length ? { required } : {}) }, f, byId);
    }
    specs[kind].description = `Spec is the specification of the Kuma ${kind} resource.`;
  }
  return { layouts, specs };
}

function writeIfChanged(target, content) {
  if (existsSync(target) && readFileSync(target, 'utf8') === content) return;
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, target);
}

export default async function ({ root }) {
  const { layouts, specs } = kubernetesSpecs(root);
  const outDir = join(root, 'src', 'resources', 'generated');
  mkdirSync(outDir, { recursive: true });
  const header = '/* eslint-disable */\n// Generated by scripts/build.d/02-kubernetes.mjs from schemas/*.schema.json. Do not edit.\n';
  writeIfChanged(
    join(outDir, 'kubernetes.ts'),
    `${header}/** Where each kind's spec lives in its Universal form: beside the meta fields, or under \`spec\`. */\nexport const SPEC_LAYOUTS: Record<string, 'flat' | 'nested'> = ${JSON.stringify(layouts, null, 2)};\n`,
  );
  writeIfChanged(
    join(outDir, 'crd-specs.ts'),
    `${header}/** The structural OpenAPI v3 schema of each kind's \`spec\`, for its CustomResourceDefinition. */\nexport const CRD_SPEC_SCHEMAS: Record<string, Record<string, unknown>> = ${JSON.stringify(specs, null, 2)};\n`,
  );
}
