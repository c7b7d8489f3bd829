/**
 * Shape limits for documents that arrive over the network. JSON.parse accepts any nesting depth,
 * but everything after it (structuredClone, JSON.stringify, schema validation) recurses and ends
 * the process with "Maximum call stack size exceeded" on a few thousand levels. No resource
 * kind nests anywhere near MAX_DOCUMENT_DEPTH, so a deeper document is refused before anything
 * else touches it.
 */
import { ValidationError } from '../core/errors.js';

/** Deepest nesting of objects/arrays a resource may have (Kuma's kinds stay under 12). */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * The field path of the first value nested deeper than `maxDepth`, or undefined when the
 * document is within the limit. Recursion is safe: it never goes deeper than maxDepth + 1.
 */
export function tooDeepAt(value: unknown, maxDepth = MAX_DOCUMENT_DEPTH): string | undefined {
  const walk = (v: unknown, depth: number): string[] | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (depth > maxDepth) return [];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], depth + 1);
        if (p) return [`[${i}]`, ...p];
      }
      return undefined;
    }
    for (const k in v as Record<string, unknown>) {
      const p = walk((v as Record<string, unknown>)[k], depth + 1);
      if (p) return [/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`, ...p];
    }
    return undefined;
  };
  const parts = walk(value, 1);
  return parts ? parts.join('').replace(/^\./, '') : undefined;
}

/** Throws a 400 ValidationError naming the field when `value` nests deeper than `maxDepth`. */
export function assertDepth(value: unknown, what: string, maxDepth = MAX_DOCUMENT_DEPTH): void {
  const at = tooDeepAt(value, maxDepth);
  if (at === undefined) return;
  const field = at.length > 200 ? `${at.slice(0, 200)}...` : at;
  throw new ValidationError(`${what} nests objects or arrays deeper than ${maxDepth} levels; no resource needs that, nothing was stored`, [{ field, message: `nested deeper than ${maxDepth} levels` }], 'Could not process a resource');
}
