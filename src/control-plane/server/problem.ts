/**
 * The problem-details mapper: the ONLY place where errors become HTTP responses. Kuma's shape
 * (reference/kuma-2.14/api-server/errors, openapi/common/error_schema.yaml): RFC 7807 fields plus
 * the legacy duplicates `details` (= detail) and `causes` (= invalid_parameters with `message`).
 */
import { STATUS_CODES } from 'node:http';
import { isZonectlError, ValidationError, ZonectlError, type Violation } from '../../core/errors.js';

export interface ProblemDetails {
  type: '/std-errors';
  status: number;
  title: string;
  detail: string;
  invalid_parameters?: { field: string; reason: string }[];
  details: string;
  causes?: { field: string; message: string }[];
}

/** 413: a request body over the server's limit. Input rejected, like a validation failure. */
export class PayloadTooLargeError extends ZonectlError {
  readonly code = 'validation';
  readonly status = 413;
  readonly exitCode = 3;
  override name = 'PayloadTooLargeError';
}

/** 415: a write whose body is not declared as JSON (or YAML). */
export class UnsupportedMediaTypeError extends ZonectlError {
  readonly code = 'validation';
  readonly status = 415;
  readonly exitCode = 3;
  override name = 'UnsupportedMediaTypeError';
}

/** Kuma words these the same on every route. */
const FIXED_TITLES: Record<string, string> = {
  forbidden: 'Access Denied',
  unauthorized: 'Unauthorized',
  'method-not-allowed': 'Method not Allowed',
};

export function problem(status: number, title: string, detail: string, violations: Violation[] = []): ProblemDetails {
  const p: ProblemDetails = { type: '/std-errors', status, title, detail, details: detail };
  if (violations.length) {
    p.invalid_parameters = violations.map((v) => ({ field: v.field, reason: v.message }));
    p.causes = violations.map((v) => ({ field: v.field, message: v.message }));
  }
  // Keep Kuma's key order: the legacy keys come last.
  return violations.length
    ? { type: p.type, status, title, detail, invalid_parameters: p.invalid_parameters, details: detail, causes: p.causes }
    : { type: p.type, status, title, detail, details: detail };
}

/**
 * Maps any thrown value to a problem. `routeTitle` is the operation's Kuma wording ("Could not
 * retrieve a resource"); coded errors with a fixed Kuma title keep theirs. Unknown errors are
 * bugs: 500 with a generic text (the caller logs the stack; internals never reach the client).
 */
export function toProblem(err: unknown, routeTitle?: string): ProblemDetails {
  if (!isZonectlError(err)) return problem(500, 'Internal Server Error', 'the control plane failed to handle the request; see its log');
  if (err instanceof ValidationError) return problem(err.status, err.title, err.message, err.violations);
  const title = FIXED_TITLES[err.code] ?? (err.status === 415 ? STATUS_CODES[415] : undefined) ?? routeTitle ?? STATUS_CODES[err.status] ?? 'Error';
  return problem(err.status, title, err.message);
}
