import type { AppError } from '../../domain/errors.js';
import { errorCatalog } from '../../domain/errors.js';

export const PROBLEM_TYPE_BASE = 'urn:identity-service:problem:';

/** RFC 9457 problem details; `type` is stable per error code. */
export function toProblem(error: AppError, instance?: string) {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: errorCatalog[error.code].title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(instance ? { instance } : {}),
    ...error.extensions,
  };
}

// Generic codes that an OAuth endpoint must still express as RFC 6749 errors.
const OAUTH_EQUIVALENT: Partial<Record<AppError['code'], string>> = {
  bad_request: 'invalid_request',
  validation_failed: 'invalid_request',
  unsupported_media_type: 'invalid_request',
  payload_too_large: 'invalid_request',
  invalid_credentials: 'invalid_grant',
  rate_limited: 'slow_down',
  internal: 'server_error',
  unavailable: 'temporarily_unavailable',
  unauthenticated: 'invalid_client',
};

/** RFC 6749 §5.2 error body. */
export function toOAuthError(error: AppError) {
  return {
    error: OAUTH_EQUIVALENT[error.code] ?? error.code,
    ...(error.detail ? { error_description: error.detail } : {}),
  };
}
