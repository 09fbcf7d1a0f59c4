/**
 * Stable codes, as jose's `ERR_JWT_EXPIRED`: callers branch on `code`, never on
 * the message. The message is safe to return to the caller (it never holds the
 * token); `cause` keeps the library error for the log.
 */
export type VerifierErrorCode =
  /** No credentials in the request (RFC 6750 §3.1: answer without an error code). */
  | 'missing_token'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  /** A DPoP-bound token without a valid proof, or a proof that does not match (RFC 9449 §7). */
  | 'invalid_dpop_proof'
  | 'insufficient_scope'
  | 'insufficient_role'
  /** fail-closed and the revocation feed is older than maxStalenessMs. */
  | 'feed_stale'
  | 'discovery_failed'
  | 'jwks_unavailable';

export class VerifierError extends Error {
  override readonly name = 'VerifierError';

  constructor(
    readonly code: VerifierErrorCode,
    message: string,
    options: { cause?: unknown; dpop?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.dpop = options.dpop ?? false;
  }

  /** The token is DPoP-bound (or came with the DPoP scheme): the challenge uses the DPoP scheme (RFC 9449 §7.1). */
  readonly dpop: boolean;
}

/** The errors the caller can fix by sending other credentials; the rest are the verifier's own trouble. */
export function isClientError(error: VerifierError): boolean {
  return error.code !== 'feed_stale' && error.code !== 'discovery_failed' && error.code !== 'jwks_unavailable';
}
