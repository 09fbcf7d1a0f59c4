import { AppError, isAppError } from '../../domain/errors.js';

interface FrameworkError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  message: string;
}

// Fastify and its plugins report client mistakes with stable codes; map by code, never by message.
const FRAMEWORK_CODES: Record<string, AppError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

const FRAMEWORK_DETAILS: Partial<Record<AppError['code'], string>> = {
  payload_too_large: 'The request body exceeds the size limit.',
  unsupported_media_type: 'The request body has a content type this endpoint does not accept.',
  bad_request: 'The request body could not be parsed.',
};

/** Turns anything thrown while handling a request into the one taxonomy. */
export function toAppError(error: unknown, oauth: boolean): AppError {
  if (isAppError(error)) return error;
  const framework = error as FrameworkError;
  if (framework.validation) {
    return new AppError(oauth ? 'invalid_request' : 'validation_failed', framework.message);
  }
  const mapped = framework.code ? FRAMEWORK_CODES[framework.code] : undefined;
  if (mapped) {
    const code = oauth && mapped === 'bad_request' ? 'invalid_request' : mapped;
    return new AppError(code, FRAMEWORK_DETAILS[mapped], { cause: error });
  }
  // JSON syntax errors from the body parser carry status 400 but no FST code.
  if (framework.statusCode === 400 && error instanceof SyntaxError) {
    return new AppError(oauth ? 'invalid_request' : 'bad_request', FRAMEWORK_DETAILS.bad_request, { cause: error });
  }
  return new AppError('internal', undefined, { cause: error });
}
