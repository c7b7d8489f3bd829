/**
 * Values of `zonectl install control-plane`: Kuma's Helm keys where they mean the same thing.
 * schemas/install/values.schema.json is the one source of truth: it documents every key, holds
 * every default, and decides which keys exist. Layers merge as Helm's do (defaults, then each
 * --values file, then each --set); objects merge key by key, lists and scalars replace.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { UsageError, ValidationError, type Violation } from '../core/errors.js';

type Obj = Record<string, unknown>;
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  default?: unknown;
}

export interface ControlPlaneValues {
  controlPlane: {
    zone: string;
    replicas: number;
    extraLabels: Record<string, string>;
    resources: Obj;
    nodeSelector: Record<string, string>;
    tolerations: unknown[];
    podSecurityContext: Obj;
    containerSecurityContext: Obj;
    podDisruptionBudget: { enabled: boolean; maxUnavailable: number };
    service: { type: string; annotations: Record<string, string> };
    persistence: { size: string; storageClassName: string };
    postgres: { url: string; secretRef: { name: string; key: string } };
  };
  egress: {
    enabled: boolean;
    replicas: number;
    drainTime: string;
    logLevel: string;
    extraLabels: Record<string, string>;
    resources: Obj;
    autoscaling: { enabled: boolean; minReplicas: number; maxReplicas: number; metrics: unknown[] };
    service: { enabled: boolean; type: string; port: number; annotations: Record<string, string> };
    nodeSelector: Record<string, string>;
    tolerations: unknown[];
    podSecurityContext: Obj;
    containerSecurityContext: Obj;
    podDisruptionBudget: { enabled: boolean; maxUnavailable: number };
    tokenValidFor: string;
  };
}

let cachedSchema: SchemaNode | undefined;

/** The values schema shipped in the package (schemas/install/values.schema.json). */
export function valuesSchema(): SchemaNode {
  cachedSchema ??= JSON.parse(readFileSync(new URL('../../schemas/install/values.schema.json', import.meta.url), 'utf8')) as SchemaNode;
  return cachedSchema;
}

const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** The defaults: every `default` of the schema, at its path. */
export function defaultValues(schema: SchemaNode = valuesSchema()): ControlPlaneValues {
  const walk = (node: SchemaNode): unknown => {
    if (node.default !== undefined) return structuredClone(node.default);
    if (!node.properties) return undefined;
    const out: Obj = {};
    for (const [k, child] of Object.entries(node.properties)) {
      const v = walk(child);
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
  return walk(schema) as ControlPlaneValues;
}

function merge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return structuredClone(over);
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** `a.b\.c=v` -> ['a', 'b.c'] and the value typed as Helm's --set does (bools, null, integers). */
export function parseSet(item: string): { path: string[]; value: unknown } {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${JSON.stringify(item)}: expected KEY=VALUE, e.g. --set egress.replicas=2`);
  const path = item
    .slice(0, eq)
    .split(/(?<!\\)\./)
    .map((seg) => seg.replace(/\\\./g, '.'));
  const raw = item.slice(eq + 1);
  let value: unknown = raw;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (raw === 'null') value = null;
  else if (/^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) value = Number(raw);
  return { path, value };
}

export interface ValuesInput {
  /** Parsed --values files, in order, with their names for messages. */
  files?: { name: string; values: unknown }[];
  /** --set items, in order. */
  sets?: string[];
}

/**
 * Contract: defaults, then the files, then the sets. Throws ValidationError naming every unknown
 * key (with the closest known key) and every value of the wrong type, with its source.
 */
export function resolveValues(input: ValuesInput, schema: SchemaNode = valuesSchema()): ControlPlaneValues {
  let values: unknown = defaultValues(schema);
  const problems: Violation[] = [];
  for (const f of input.files ?? []) {
    if (f.values === null || f.values === undefined) continue;
    if (!isObj(f.values)) throw new ValidationError(`values file ${f.name} must be a mapping of values (e.g. "egress:\\n  enabled: true")`);
    problems.push(...unknownKeys(f.values, schema, f.name));
    values = merge(values, f.values);
  }
  for (const item of input.sets ?? []) {
    const { path, value } = parseSet(item);
    let over: unknown = value;
    for (const seg of [...path].reverse()) over = { [seg]: over };
    problems.push(...unknownKeys(over as Obj, schema, `--set ${item}`));
    values = merge(values, over);
  }
  if (problems.length === 0) problems.push(...typeProblems(values, schema));
  if (problems.length > 0) {
    throw new ValidationError(`invalid values: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
  return values as ControlPlaneValues;
}

function knownPaths(node: SchemaNode, prefix: string[] = []): string[] {
  if (!node.properties) return [];
  return Object.entries(node.properties).flatMap(([k, child]) => [[...prefix, k].join('.'), ...knownPaths(child, [...prefix, k])]);
}

function unknownKeys(values: Obj, root: SchemaNode, source: string, node: SchemaNode = root, path: string[] = []): Violation[] {
  if (!node.properties || node.additionalProperties !== false) return [];
  const out: Violation[] = [];
  for (const [k, v] of Object.entries(values)) {
    const child = node.properties[k];
    const here = [...path, k];
    if (!child) {
      const suggestion = closest(here.join('.'), knownPaths(root));
      out.push({ field: here.join('.'), message: `unknown value in ${source}${suggestion ? `; did you mean ${suggestion}?` : ''}` });
    } else if (isObj(v)) out.push(...unknownKeys(v, root, source, child, here));
  }
  return out;
}

/** The known path with the smallest edit distance (at most a third of the key's length). */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

let compiled: ReturnType<Ajv2020['compile']> | undefined;

function typeProblems(values: unknown, schema: SchemaNode): Violation[] {
  compiled ??= new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  if (compiled(values)) return [];
  return (compiled.errors ?? []).map((e) => ({
    field: e.instancePath.slice(1).replace(/\//g, '.'),
    message: e.keyword === 'enum' ? `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e.message ?? 'is invalid'),
  }));
}
