/**
 * Why a zone token was rejected. Every check of the verifier has its own reason code, so the
 * dp-server, `inspect zone-token --verify` and tests branch on `reason`, never on message text.
 */
import { ExitCode, ZonectlError } from '../core/errors.js';

export type TokenRejectReason =
  /** Larger than any zone token could be; refused before decoding anything. */
  | 'too-large'
  /** Not three base64url segments, or a header/payload that is not JSON. */
  | 'malformed'
  /** Starts like a JWT but ends early: missing segments or a short signature. */
  | 'truncated'
  /** `alg: none`: an unsigned token. */
  | 'alg-none'
  /** HS256/384/512: a shared-secret algorithm (the classic forgery signs with the public key). */
  | 'alg-hmac'
  /** Any other algorithm than RS256. */
  | 'alg-unsupported'
  | 'kid-missing'
  /** `kid` is not a signing-key serial written as a string. */
  | 'kid-invalid'
  /** No signing key (or static public key) has this serial: rotated away, or signed elsewhere. */
  | 'kid-unknown'
  | 'signature-invalid'
  /** Claims of the wrong type, or `exp`/`jti` missing. */
  | 'claims-invalid'
  | 'expired'
  | 'not-yet-valid'
  | 'scope-empty'
  | 'out-of-scope'
  | 'zone-mismatch'
  | 'revoked';

/** Reasons that mean "authentic token, but not for this" (HTTP 403); the rest are 401. */
const FORBIDDEN: ReadonlySet<TokenRejectReason> = new Set(['scope-empty', 'out-of-scope', 'zone-mismatch']);

/**
 * A rejected zone token. It is a coded error: the server's problem-details mapper answers with
 * `status` (401, or 403 for scope/zone mismatches) and the CLI exits 3 (input rejected).
 */
export class TokenError extends ZonectlError {
  readonly code: 'unauthorized' | 'forbidden';
  readonly status: 401 | 403;
  readonly exitCode = ExitCode.rejected;
  override name = 'TokenError';

  constructor(
    readonly reason: TokenRejectReason,
    message: string,
  ) {
    super(message);
    const forbidden = FORBIDDEN.has(reason);
    this.code = forbidden ? 'forbidden' : 'unauthorized';
    this.status = forbidden ? 403 : 401;
  }
}

export function isTokenError(err: unknown): err is TokenError {
  return err instanceof TokenError;
}
