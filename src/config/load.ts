import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { envSchema, type EnvVar } from './schema.js';
import type { Config } from './config.js';
import { projectRoot } from './project-root.js';
import { meetsOwaspMinimum } from '../domain/users/hash-parameters.js';

/** A configuration value that cannot start the service; its message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// `validateSchema: false`: the schema is code, checked against the meta-schema by test/config/load.test.ts;
// compiling the meta-schema at every start cost 60 ms of it. Strict mode still refuses unknown keywords.
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: true, validateSchema: false });
addFormats.default(ajv);
const validate = ajv.compile(envSchema);

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.params.missingProperty as string} is required`;
  const variable = error.instancePath.slice(1);
  return `${variable} ${error.message ?? 'is invalid'}`;
}

/** Reads and validates the environment once; the only reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in a Helm values file with a blank entry.
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name in envSchema.properties && value !== undefined && value !== '') input[name] = value;
  }
  if (!validate(input)) {
    const error = validate.errors?.[0];
    throw new ConfigError(`Invalid configuration: ${error ? describe(error) : 'unknown error'}`);
  }
  const v = input as Record<EnvVar, never>;
  const port: number = v.PORT;
  const dataDir = path.resolve(v.DATA_DIR as string);
  const databaseUrl: string | undefined = v.DATABASE_URL;
  const issuer = ((v.ISSUER as string | undefined) ?? `http://localhost:${port}`).replace(/\/+$/, '');

  const config: Config = {
    port,
    host: v.HOST,
    issuer,
    httpsIssuer: issuer.startsWith('https://'),
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, poolSize: v.DATABASE_POOL_SIZE }
      : { kind: 'embedded', dataDir: path.join(dataDir, 'pglite') },
    databaseTimeoutMs: v.DATABASE_TIMEOUT_MS,
    migrateOnStart: v.MIGRATE_ON_START,
    dataDir,
    redisUrl: v.REDIS_URL,
    clientsFile: path.resolve((v.CLIENTS_FILE as string | undefined) ?? path.join(projectRoot(), 'config', 'clients.demo.json')),
    logLevel: v.LOG_LEVEL,
    logRequests: v.LOG_REQUESTS,
    trustProxy: parseTrustProxy(v.TRUST_PROXY),
    keyEncryptionKey: v.KEY_ENCRYPTION_KEY,
    accessToken: {
      ttlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
      audience: v.ACCESS_TOKEN_AUDIENCE,
      clockSkewSeconds: v.CLOCK_SKEW_SECONDS,
    },
    refresh: {
      graceSeconds: v.REFRESH_GRACE_SECONDS,
      familyTtlSeconds: v.REFRESH_FAMILY_TTL_SECONDS,
      idleTtlSeconds: v.REFRESH_IDLE_TTL_SECONDS,
    },
    keys: {
      rotationDays: v.KEY_ROTATION_DAYS,
      prepublishSeconds: v.KEY_PREPUBLISH_SECONDS,
      jwksMaxAgeSeconds: v.JWKS_MAX_AGE_SECONDS,
      reloadSeconds: v.KEY_RELOAD_SECONDS,
    },
    session: { idleSeconds: v.SESSION_IDLE_SECONDS, absoluteSeconds: v.SESSION_ABSOLUTE_SECONDS },
    accounts: { signupEnabled: v.SIGNUP_ENABLED, passwordMinLength: v.PASSWORD_MIN_LENGTH },
    login: {
      maxFailures: v.LOGIN_MAX_FAILURES,
      lockoutSeconds: v.LOGIN_LOCKOUT_SECONDS,
      ratePerMinute: v.RATE_LIMIT_LOGIN_PER_MINUTE,
      accountRatePerMinute: v.RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE,
    },
    passwordHashing: { memoryCost: v.ARGON2_MEMORY_KIB, timeCost: v.ARGON2_TIME_COST, parallelism: v.ARGON2_PARALLELISM },
    passwordHashingConcurrency: v.ARGON2_MAX_CONCURRENT ?? Math.max(1, v.UV_THREADPOOL_SIZE - 1),
    pruning: { intervalSeconds: v.PRUNE_INTERVAL_SECONDS, batchSize: v.PRUNE_BATCH_SIZE, retentionSeconds: v.PRUNE_RETENTION_SECONDS },
    bodyLimitBytes: v.BODY_LIMIT_BYTES,
    httpTimeouts: { requestMs: v.HTTP_REQUEST_TIMEOUT_MS, headersMs: v.HTTP_HEADERS_TIMEOUT_MS, keepAliveMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    shutdown: { graceMs: v.SHUTDOWN_GRACE_MS, delayMs: v.SHUTDOWN_DELAY_MS },
    tracing: v.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: (v.OTEL_EXPORTER_OTLP_ENDPOINT as string).replace(/\/+$/, ''), protocol: v.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: v.OTEL_SERVICE_NAME }
      : undefined,
    revocationFeed: { public: v.REVOCATION_FEED_PUBLIC, lifetimeSeconds: v.REVOCATION_FEED_LIFETIME_SECONDS, maxAgeSeconds: v.REVOCATION_FEED_MAX_AGE_SECONDS },
    dpop: { proofLifetimeSeconds: v.DPOP_PROOF_LIFETIME_SECONDS, nonceRequired: v.DPOP_NONCE_REQUIRED },
    mail: {
      smtpUrl: v.SMTP_URL,
      from: v.MAIL_FROM ?? `no-reply@${new URL(issuer).hostname}`,
      serviceName: v.SERVICE_NAME ?? new URL(issuer).hostname,
      pollSeconds: v.MAIL_POLL_SECONDS,
      retryLifetimeSeconds: v.MAIL_RETRY_LIFETIME_SECONDS,
      retentionSeconds: v.MAIL_RETENTION_SECONDS,
    },
    accountLifecycle: {
      emailVerification: v.EMAIL_VERIFICATION,
      verificationTtlSeconds: v.EMAIL_VERIFICATION_TTL_SECONDS,
      resetTtlSeconds: v.PASSWORD_RESET_TTL_SECONDS,
      ratePerMinute: v.RATE_LIMIT_EMAIL_PER_MINUTE,
      accountRatePerHour: v.RATE_LIMIT_EMAIL_PER_ACCOUNT_PER_HOUR,
    },
    admin: { sessionAbsoluteSeconds: v.ADMIN_SESSION_ABSOLUTE_SECONDS, reauthSeconds: v.ADMIN_REAUTH_SECONDS },
    // WebAuthn binds a credential to the RP ID (a registrable domain, never a port) and each ceremony to the page's exact origin.
    webauthn: { rpName: v.WEBAUTHN_RP_NAME, rpId: new URL(issuer).hostname, origin: new URL(issuer).origin, timeoutSeconds: v.WEBAUTHN_TIMEOUT_SECONDS },
  };
  if (config.keys.prepublishSeconds < config.keys.jwksMaxAgeSeconds) {
    throw new ConfigError('Invalid configuration: KEY_PREPUBLISH_SECONDS must be at least JWKS_MAX_AGE_SECONDS, so verifiers see a key before it signs');
  }
  if (config.httpTimeouts.headersMs > config.httpTimeouts.requestMs) {
    throw new ConfigError('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS, which covers the headers too');
  }
  if (!meetsOwaspMinimum(config.passwordHashing)) {
    throw new ConfigError('Invalid configuration: ARGON2_MEMORY_KIB is below the OWASP minimum for ARGON2_TIME_COST (47104 KiB at 1, 19456 at 2, 12288 at 3, 9216 at 4, 7168 at 5 or more)');
  }
  return deepFreeze(config);
}

function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',');
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
