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

// A database or Redis that cannot be reached is an outage to wait out (503,
// RFC 6749 `temporarily_unavailable` on OAuth endpoints), never a 500.
// Node socket errors, SQLSTATE class 08 (connection exception), 53300 (too
// many connections), 57P01-57P03 (server shutting down or starting), and
// Prisma's connection codes: P1001 unreachable, P1002 timed out, P1008 socket
// timeout, P1017 connection closed, P2024 pool timeout, P2037 too many connections.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  '53300', '57P01', '57P02', '57P03',
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037',
]);
// Prisma's driver adapters report the same failures as a `kind` (on a DriverAdapterError, or in P2010's meta).
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
// pg and ioredis raise these with no code at all, so here, and only here, the message is all there is.
const CODELESS_CONNECTION_MESSAGES = [
  'Connection terminated', // pg: the socket closed (also "... unexpectedly", "... due to connection timeout")
  'Query read timeout', // pg: query_timeout
  'timeout exceeded when trying to connect', // pg.Pool: connectionTimeoutMillis
  'Client has encountered a connection error and is not queryable', // pg
  'Connection is closed.', // ioredis
  'Command timed out', // ioredis: commandTimeout
];

interface DriverError {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
}

/** True when the error (or one it wraps) says a backing store is unreachable, as opposed to a failed query. */
export function isBackendUnavailable(error: unknown): boolean {
  let current = error as DriverError | undefined;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1, current = current.cause as DriverError | undefined) {
    const code = typeof current.code === 'string' ? current.code : undefined;
    if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    const kind = current.meta?.driverAdapterError?.cause?.kind ?? (current.name === 'DriverAdapterError' ? (current.cause as { kind?: unknown } | undefined)?.kind : undefined);
    if (typeof kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
    if (current.name === 'MaxRetriesPerRequestError') return true; // ioredis: gave up while disconnected
    const message = current.message;
    if (code === undefined && typeof message === 'string' && CODELESS_CONNECTION_MESSAGES.some((known) => message.startsWith(known))) return true;
  }
  return false;
}

/** Turns anything thrown while handling a request into the one taxonomy. */
export function toAppError(error: unknown, oauth: boolean): AppError {
  if (isAppError(error)) return error;
  if (isBackendUnavailable(error)) {
    // Retry-After: the pool reconnects by itself; a client with one retry usually succeeds.
    return new AppError('unavailable', 'A backing service is temporarily unreachable; retry shortly.', { cause: error, headers: { 'retry-after': '1' } });
  }
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
