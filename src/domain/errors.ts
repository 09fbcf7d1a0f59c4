/**
 * The service's one error taxonomy. Each code has a fixed HTTP status and a
 * public title; `detail` is safe to show a client, `internal` reaches only the
 * log. The HTTP layer maps these to RFC 9457 problems or RFC 6749 errors in one
 * place (http/errors/).
 */
export const errorCatalog = {
  // Generic (RFC 9457 problem types)
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'Request validation failed' },
  weak_password: { status: 400, title: 'Password does not meet the policy' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  csrf_failed: { status: 403, title: 'CSRF check failed' },
  forbidden: { status: 403, title: 'Forbidden' },
  signup_disabled: { status: 403, title: 'Self sign-up is disabled' },
  wrong_password: { status: 403, title: 'Current password is incorrect' },
  not_found: { status: 404, title: 'Not found' },
  request_timeout: { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'Request headers too large' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  // OAuth 2.0 (RFC 6749 §5.2, RFC 7009 §2.2.1)
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_client: { status: 401, title: 'Client authentication failed' },
  invalid_grant: { status: 400, title: 'Invalid grant' },
  unauthorized_client: { status: 400, title: 'Unauthorized client' },
  unsupported_grant_type: { status: 400, title: 'Unsupported grant type' },
  invalid_scope: { status: 400, title: 'Invalid scope' },
  // DPoP (RFC 9449 §5, §8): the token endpoint's answers; resource routes answer 401 with a DPoP challenge instead.
  invalid_dpop_proof: { status: 400, title: 'Invalid DPoP proof' },
  use_dpop_nonce: { status: 400, title: 'DPoP nonce required' },
  // Authorization endpoint errors, sent to the redirect URI (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6)
  access_denied: { status: 403, title: 'Access denied' },
  unsupported_response_type: { status: 400, title: 'Unsupported response type' },
  login_required: { status: 401, title: 'Login required' },
  consent_required: { status: 403, title: 'Consent required' },
  request_not_supported: { status: 400, title: 'Request object not supported' },
  // Account lifecycle (docs/accounts.md): a spent, expired or forged emailed link; a login before the address is proven.
  invalid_link: { status: 400, title: 'Invalid or expired link' },
  email_not_verified: { status: 403, title: 'Email address not verified' },
  // Second factors (docs/mfa.md): the login step's answers, and a wrong code where the signed-in user proves possession.
  mfa_required: { status: 401, title: 'Second factor required' },
  invalid_mfa_code: { status: 401, title: 'Invalid second-factor code' },
  mfa_expired: { status: 401, title: 'Second-factor step expired' },
  wrong_mfa_code: { status: 403, title: 'Second-factor code is incorrect' },
  mfa_enrollment_required: { status: 403, title: 'Second factor must be set up first' },
  // Administration (docs/admin.md): a sensitive action needs a recent password check (POST /v1/session/reauth) or a fresh login.
  reauthentication_required: { status: 403, title: 'Re-authentication required' },
  // Passkeys (WebAuthn): a registration that does not verify, or a response with no ceremony under way.
  passkey_rejected: { status: 400, title: 'Passkey response rejected' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    /** Safe to show a client. */
    readonly detail?: string,
    options: { internal?: string; cause?: unknown; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(options.internal ?? detail ?? errorCatalog[code].title, { cause: options.cause });
    this.status = errorCatalog[code].status;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  /** Extra response headers the error requires (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string> | undefined;

  /** RFC 9457 §3.2 extension members the client needs to go on (the MFA step's `mfa_token`); never in the log. */
  readonly extensions: Record<string, unknown> | undefined;
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
