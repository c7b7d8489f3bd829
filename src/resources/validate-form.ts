/**
 * Validation of one document in either of Kuma's forms: Universal (`type`, `name`, fields at the
 * top) or Kubernetes (`apiVersion: kuma.io/v1alpha1`, `kind`, `metadata`, `spec`). A Kubernetes
 * document is converted to Universal, validated by the same rules, and its violations are given
 * back with the Kubernetes document's field paths, so they point at the lines the user wrote.
 */
import type { Violation } from '../core/errors.js';
import { classifyDocument, fromKubernetes, KUMA_API_VERSION } from './kubernetes.js';
import type { Resource } from './types.js';
import { checkUrlMeta, validateResource, type ValidateOptions } from './validate.js';

/** A document zonectl does not validate: another API group, or a Kuma kind it does not model. */
export interface SkippedDocument {
  apiVersion: string;
  kind: string;
  name?: string;
  /** True for kinds of Kuma's API group (worth a warning); false for other API groups. */
  kuma: boolean;
  /** One sentence, e.g. `apps/v1 Deployment is not a Kuma resource`. */
  reason: string;
}

export interface DocumentValidation {
  form: 'universal' | 'kubernetes';
  /** The document in Universal form (what apply sends); undefined for skipped documents. */
  resource?: unknown;
  /** Errors, with field paths of the document as written. */
  violations: Violation[];
  warnings: Violation[];
  skipped?: SkippedDocument;
}

/**
 * Contract: validates one parsed document of any form. Never throws. Universal documents get
 * exactly validateResource()'s violations; Kubernetes documents of a modeled kind get the envelope's
 * problems first, then the Universal violations with their Kubernetes paths (`spec.networking.port`),
 * leaving out those under a field the envelope already reported; other Kubernetes objects are
 * `skipped` and have no violations (the caller decides whether that is an error).
 */
export function validateDocument(value: unknown, opts: ValidateOptions = {}): DocumentValidation {
  const form = classifyDocument(value);
  if (form.form === 'universal') return { form: 'universal', resource: value, violations: validateResource(value, opts), warnings: [] };
  if (form.form !== 'kubernetes') {
    const what = `${form.apiVersion || '(no apiVersion)'} ${form.kind || '(no kind)'}`;
    const reason =
      form.form === 'unmodeled'
        ? `${what} is a Kuma kind zonectl does not model yet: not validated`
        : `${what} is not a Kuma resource`;
    return { form: 'kubernetes', violations: [], warnings: [], skipped: { apiVersion: form.apiVersion, kind: form.kind, name: form.name, kuma: form.form === 'unmodeled', reason } };
  }
  const conv = fromKubernetes(value as Record<string, unknown>, form.kind, opts);
  const reported = conv.violations.map((v) => v.field);
  const under = (field: string) => reported.some((r) => field === r || field.startsWith(`${r}.`) || field.startsWith(`${r}[`));
  const mapped = validateResource(conv.resource as Resource, opts)
    .map((v) => ({ field: conv.fieldOf(v.field), message: v.message }))
    .filter((v) => !under(v.field));
  return { form: 'kubernetes', resource: conv.resource, violations: [...conv.violations, ...mapped], warnings: conv.warnings };
}

/** Where a PUT was addressed (see checkUrlMeta). */
export interface PutTarget {
  type: string;
  name: string;
  mesh?: string;
}

export interface PutBody {
  /** The body in Universal form, to store. */
  resource: Resource;
  /** URL-vs-body problems first (Kuma's order), then validation; paths in the body's own form. */
  violations: Violation[];
}

/**
 * Contract: a PUT body in either form, checked against its URL and validated. A Kubernetes body
 * (`apiVersion`/`kind`/`metadata`/`spec`) is converted to Universal, and every violation carries
 * the Kubernetes path (`metadata.name: name from the URL has to be the same as in body`). A body
 * of another API group is refused on `kind`.
 */
export function checkPutBody(body: unknown, target: PutTarget): PutBody {
  const form = classifyDocument(body);
  if (form.form === 'universal') {
    return { resource: body as Resource, violations: [...checkUrlMeta(body, target), ...validateResource(body)] };
  }
  if (form.form !== 'kubernetes') {
    const what = `${form.apiVersion || '(no apiVersion)'} ${form.kind || '(no kind)'}`;
    return { resource: body as Resource, violations: [{ field: 'kind', message: `${what} is not a kind this control plane serves: send a ${target.type} (${KUMA_API_VERSION})` }] };
  }
  const conv = fromKubernetes(body as Record<string, unknown>, form.kind);
  const reported = conv.violations.map((v) => v.field);
  const url = checkUrlMeta(conv.resource, target)
    .map((v) => ({ field: conv.fieldOf(v.field), message: v.message }))
    .filter((v) => !reported.includes(v.field));
  const checked = validateDocument(body);
  return { resource: conv.resource, violations: [...url, ...checked.violations] };
}
