import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Field names that carry secrets wherever they appear in a logged object.
const SECRET_KEYS = [
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
];
const HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
];

function redactPaths(): string[] {
  const paths = [...HEADER_PATHS];
  for (const key of SECRET_KEYS) {
    // pino's redaction has no recursive wildcard, so cover the depths our log lines use.
    for (const prefix of ['', '*.', '*.*.', '*.*.*.']) paths.push(`${prefix}${key}`);
  }
  return paths;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: {
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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
