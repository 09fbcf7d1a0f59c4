import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Field names that carry secrets wherever they appear in a logged object (compared case-insensitively).
const SECRET_KEYS = new Set(
  [
    'password',
    'current_password',
    'new_password',
    'passwordHash',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'secret',
    'client_secret',
    'code',
    'code_verifier',
    'csrf_token',
    'privateKey',
    'sessionId',
    'authorization',
    'cookie',
    'set-cookie',
    'x-csrf-token',
  ].map((key) => key.toLowerCase()),
);

const CENSORED = '[redacted]';
const MAX_DEPTH = 8;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Replaces the value of every secret-named field, at any depth, in the plain
 * objects and arrays of a log line; copies only what it changes. It runs
 * before pino's serializers, so it leaves class instances (the request, errors)
 * alone: their serializers below emit only fields known to be safe. One pass
 * over the line costs a few microseconds, where pino's wildcard redaction
 * paths cost about 40 per line (see bench/README.md's performance report).
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const scrubbed = scrubSecrets(item, depth + 1);
      if (scrubbed !== item) (copy ??= [...value])[index] = scrubbed;
    });
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const item = value[key];
    const scrubbed = SECRET_KEYS.has(key.toLowerCase()) ? CENSORED : scrubSecrets(item, depth + 1);
    if (scrubbed !== item) (copy ??= { ...value })[key] = scrubbed;
  }
  return copy ?? value;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    formatters: { log: (line) => scrubSecrets(line) as Record<string, unknown> },
    serializers: {
      // Headers are left out on purpose: they carry credentials (Authorization, Cookie).
      req: (req: { method: string; url: string; id: string; ip?: string; headers?: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        // Query strings can carry codes or state; the path is enough to trace a request.
        url: req.url.split('?')[0],
        ip: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
    },
  };
}

/**
 * Logs to stdout without blocking: lines written while a write is in flight
 * are coalesced into the next one (sonic-boom), where pino's default makes a
 * blocking write(2) per line, two per request, which cost the refresh rotation
 * about 40 µs of its 240 (see bench/README.md's performance report). Lines still
 * buffered when the process exits are flushed synchronously by pino.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: false }));
}
