/**
 * Coded errors shared by every layer. Domain code throws these; exactly three places translate
 * them: the control plane's problem-details mapper, the client's response decoder, and the base
 * command's catch() (message + exit code). Never branch on message text: branch on `code`.
 */

/** A problem with one field of one input: the unit of every validation report. */
export interface Violation {
  /** Dotted path with indexes, e.g. `networking.port`, `mtls.backends[0].name`. Empty for the whole document. */
  field: string;
  message: string;
}

export type ErrorCode =
  | 'not-found'
  | 'conflict'
  | 'validation'
  | 'precondition-failed'
  | 'unauthorized'
  | 'forbidden'
  | 'method-not-allowed'
  | 'usage'
  | 'unavailable'
  | 'bad-gateway'
  | 'too-many-requests'
  | 'insufficient-storage'
  | 'internal';

/** Exit codes of the CLI: 0 ok, 1 operational failure, 2 usage, 3 input rejected. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, rejected: 3 } as const;

export abstract class ZonectlError extends Error {
  abstract readonly code: ErrorCode;
  /** HTTP status the control plane answers with for this error. */
  abstract readonly status: number;
  /** CLI exit code for this error. */
  abstract readonly exitCode: number;
  override name = 'ZonectlError';
}

export class NotFoundError extends ZonectlError {
  readonly code = 'not-found';
  readonly status = 404;
  readonly exitCode = ExitCode.failure;
  override name = 'NotFoundError';
}

export class ConflictError extends ZonectlError {
  readonly code = 'conflict';
  readonly status = 409;
  readonly exitCode = ExitCode.rejected;
  override name = 'ConflictError';
}

export class PreconditionFailedError extends ZonectlError {
  readonly code = 'precondition-failed';
  readonly status = 412;
  readonly exitCode = ExitCode.rejected;
  override name = 'PreconditionFailedError';
}

export class ValidationError extends ZonectlError {
  readonly code = 'validation';
  readonly status = 400;
  readonly exitCode = ExitCode.rejected;
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly violations: Violation[] = [],
    /** Problem-details title when this reaches HTTP; Kuma's wording by default. */
    readonly title = 'Could not process a resource',
  ) {
    super(message);
  }
}

export class UnauthorizedError extends ZonectlError {
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly exitCode = ExitCode.rejected;
  override name = 'UnauthorizedError';
}

export class ForbiddenError extends ZonectlError {
  readonly code = 'forbidden';
  readonly status = 403;
  readonly exitCode = ExitCode.rejected;
  override name = 'ForbiddenError';
}

export class MethodNotAllowedError extends ZonectlError {
  readonly code = 'method-not-allowed';
  readonly status = 405;
  readonly exitCode = ExitCode.rejected;
  override name = 'MethodNotAllowedError';
}

/** Bad command-line usage: unknown flag, unreadable path, conflicting options. */
export class UsageError extends ZonectlError {
  readonly code = 'usage';
  readonly status = 400;
  readonly exitCode = ExitCode.usage;
  override name = 'UsageError';
}

/** Something we depend on is not there: a control plane that refuses the connection, a timeout. */
export class UnavailableError extends ZonectlError {
  readonly code = 'unavailable';
  readonly status = 503;
  readonly exitCode = ExitCode.failure;
  override name = 'UnavailableError';
}

/** A client over its rate limit: 429, retry after `retryAfterSeconds`. */
export class TooManyRequestsError extends ZonectlError {
  readonly code = 'too-many-requests';
  readonly status = 429;
  readonly exitCode = ExitCode.failure;
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** Something the control plane fetched for the caller (an egress's admin API) misbehaved: 502. */
export class BadGatewayError extends ZonectlError {
  readonly code = 'bad-gateway';
  readonly status = 502;
  readonly exitCode = ExitCode.failure;
  override name = 'BadGatewayError';
}

/** The control plane's disk is full: writes that need space are refused, deletes still work. */
export class InsufficientStorageError extends ZonectlError {
  readonly code = 'insufficient-storage';
  readonly status = 507;
  readonly exitCode = ExitCode.failure;
  override name = 'InsufficientStorageError';
}

export class InternalError extends ZonectlError {
  readonly code = 'internal';
  readonly status = 500;
  readonly exitCode = ExitCode.failure;
  override name = 'InternalError';
}

export function isZonectlError(err: unknown): err is ZonectlError {
  return err instanceof ZonectlError;
}
