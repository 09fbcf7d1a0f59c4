/**
 * The environment the service reads, as one JSON schema. Every variable has a
 * safe default except the ones that only make sense per deployment.
 */
export const envSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    ISSUER: { type: 'string', format: 'uri', pattern: '^https?://[^?#]+$' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    CLIENTS_FILE: { type: 'string', minLength: 1 },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    /** One log line when a request arrives and one when it is answered (Fastify's request log). Off: errors and events only (access logs come from the ingress). */
    LOG_REQUESTS: { type: 'boolean', default: true },
    /**
     * Which X-Forwarded-* headers to believe: `false` (none; the default, since a
     * client could otherwise choose its own IP and dodge per-IP limits), `true`
     * (all), a hop count, or comma-separated proxy addresses/CIDRs.
     */
    TRUST_PROXY: { type: 'string', pattern: '^(true|false|[0-9]{1,2}|[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*)$', default: 'false' },
    /** base64 of 32 bytes; wraps signing keys at rest (AES-256-GCM). */
    KEY_ENCRYPTION_KEY: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' },
    ACCESS_TOKEN_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 86400, default: 900 },
    ACCESS_TOKEN_AUDIENCE: { type: 'string', minLength: 1, default: 'api' },
    CLOCK_SKEW_SECONDS: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
    REFRESH_GRACE_SECONDS: { type: 'integer', minimum: 0, maximum: 120, default: 10 },
    REFRESH_FAMILY_TTL_SECONDS: { type: 'integer', minimum: 3600, default: 2592000 },
    REFRESH_IDLE_TTL_SECONDS: { type: 'integer', minimum: 600, default: 1209600 },
    KEY_ROTATION_DAYS: { type: 'integer', minimum: 1, maximum: 365, default: 30 },
    JWKS_MAX_AGE_SECONDS: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    /** How long a new key is published before it signs; at least one JWKS cache lifetime. */
    KEY_PREPUBLISH_SECONDS: { type: 'integer', minimum: 0, default: 3600 },
    /** How often each replica re-reads the signing keys and revocations: the fallback when a NOTIFY from another replica is lost. */
    KEY_RELOAD_SECONDS: { type: 'integer', minimum: 1, maximum: 300, default: 10 },
    SESSION_IDLE_SECONDS: { type: 'integer', minimum: 60, default: 1800 },
    SESSION_ABSOLUTE_SECONDS: { type: 'integer', minimum: 300, default: 43200 },
    SIGNUP_ENABLED: { type: 'boolean', default: true },
    PASSWORD_MIN_LENGTH: { type: 'integer', minimum: 8, maximum: 128, default: 12 },
    LOGIN_MAX_FAILURES: { type: 'integer', minimum: 1, default: 5 },
    LOGIN_LOCKOUT_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
    RATE_LIMIT_LOGIN_PER_MINUTE: { type: 'integer', minimum: 1, default: 30 },
    /** Login attempts per account (normalised email, existing or not) per minute. */
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: { type: 'integer', minimum: 1, default: 10 },
    /** argon2id memory in KiB; with ARGON2_TIME_COST at least one OWASP row (19456 KiB with 2 passes). */
    ARGON2_MEMORY_KIB: { type: 'integer', minimum: 7168, maximum: 4194304, default: 19456 },
    ARGON2_TIME_COST: { type: 'integer', minimum: 1, maximum: 20, default: 2 },
    ARGON2_PARALLELISM: { type: 'integer', minimum: 1, maximum: 16, default: 1 },
    /**
     * Password hashes computed at once; more wait their turn. Each holds
     * ARGON2_MEMORY_KIB, so this bounds login memory. Default: one fewer than
     * libuv's threads, so the pool's other work (DNS lookups as the database
     * pool reconnects, file reads) never queues behind a burst of logins.
     */
    ARGON2_MAX_CONCURRENT: { type: 'integer', minimum: 1, maximum: 64 },
    /** libuv's threadpool size (libuv reads it itself; we size the hashing limit by it). */
    UV_THREADPOOL_SIZE: { type: 'integer', minimum: 1, maximum: 1024, default: 4 },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 1048576, default: 65536 },
    /**
     * Longest time a client may take to send one whole request, headers and body.
     * Without it a client trickling a body a byte at a time holds a connection
     * (and its buffers) for ever: the slowloris attack.
     */
    HTTP_REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000, default: 30000 },
    /** Longest time a client may take to send a request's headers; at most HTTP_REQUEST_TIMEOUT_MS. */
    HTTP_HEADERS_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000, default: 10000 },
    /**
     * How long an idle keep-alive connection stays open. Longer than the idle
     * timeout of the load balancer in front (60 s on AWS ALB and nginx's
     * default upstream keep-alive pools), else the service closes a connection
     * the balancer is about to reuse and a request fails with a 502.
     */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 3600000, default: 72000 },
    /** Longest time shutdown waits for in-flight requests before closing anyway. */
    SHUTDOWN_GRACE_MS: { type: 'integer', minimum: 0, maximum: 120000, default: 10000 },
    /** Time between readiness turning 503 and the listener closing, so load balancers stop routing here first. */
    SHUTDOWN_DELAY_MS: { type: 'integer', minimum: 0, maximum: 60000, default: 0 },
    /** Seconds between runs of the job that deletes expired and revoked rows; 0 turns it off on this replica. */
    PRUNE_INTERVAL_SECONDS: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    /** Rows per delete statement: small batches are short transactions that never hold up requests. */
    PRUNE_BATCH_SIZE: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
    /** How long revoked or expired login families and authorization codes are kept before pruning (support, forensics). */
    PRUNE_RETENTION_SECONDS: { type: 'integer', minimum: 0, maximum: 31536000, default: 86400 },
    /**
     * Apply pending migrations on PostgreSQL at start, for single-instance installs.
     * Off by default: migrations are a release step (`npm run migrate`, the Helm Job),
     * and a service that finds its schema behind refuses to start.
     */
    MIGRATE_ON_START: { type: 'boolean', default: false },
    DATABASE_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 200, default: 10 },
    /** Bounds a database call so a dead connection answers 503 rather than hanging. */
    DATABASE_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 60000, default: 5000 },
    /** OTLP/HTTP collector base URL (the exporter posts to <url>/v1/traces). Unset: no tracing, and the SDK is never loaded. */
    OTEL_EXPORTER_OTLP_ENDPOINT: { type: 'string', format: 'uri', pattern: '^https?://[^?#]+$' },
    OTEL_EXPORTER_OTLP_PROTOCOL: { type: 'string', enum: ['http/protobuf', 'http/json'], default: 'http/protobuf' },
    OTEL_SERVICE_NAME: { type: 'string', minLength: 1, default: 'identity-service' },
    /** GET /oauth/revocations without client authentication (the feed names only opaque ids and times). */
    REVOCATION_FEED_PUBLIC: { type: 'boolean', default: false },
    /** exp - iat of the signed feed: how long a verifier may trust its copy without reaching us. */
    REVOCATION_FEED_LIFETIME_SECONDS: { type: 'integer', minimum: 10, maximum: 3600, default: 300 },
    /** Cache-Control max-age of the feed: how often verifiers and caches come back for a new version. */
    REVOCATION_FEED_MAX_AGE_SECONDS: { type: 'integer', minimum: 0, maximum: 300, default: 5 },
    /** How old a DPoP proof's iat may be (RFC 9449 §11.1), beside CLOCK_SKEW_SECONDS; also the life of a DPoP nonce's window. */
    DPOP_PROOF_LIFETIME_SECONDS: { type: 'integer', minimum: 10, maximum: 600, default: 60 },
    /** Every DPoP proof must carry a nonce this service issued (RFC 9449 §8): proofs made ahead of time become useless. */
    DPOP_NONCE_REQUIRED: { type: 'boolean', default: false },
    /**
     * Outgoing mail (docs/accounts.md). smtp:// upgrades with STARTTLS when the server offers it, smtps:// is
     * implicit TLS; credentials go in the URL, so it is a secret. Unset: the development transport (log and
     * DATA_DIR/mail/), never for production.
     */
    SMTP_URL: { type: 'string', pattern: '^smtps?://[^\\s]+$' },
    /** The From address; default no-reply@<issuer host>. */
    MAIL_FROM: { type: 'string', minLength: 3, maxLength: 320 },
    /** Signs every email and names the service in subjects; default the issuer's host name. */
    SERVICE_NAME: { type: 'string', minLength: 1, maxLength: 100 },
    /** Seconds between outbox polls: the fallback for messages another replica queued or whose retry fell due. */
    MAIL_POLL_SECONDS: { type: 'integer', minimum: 1, maximum: 300, default: 5 },
    /** How long a message is retried (exponential backoff from 5 s, at most 10 min apart) before it is given up. */
    MAIL_RETRY_LIFETIME_SECONDS: { type: 'integer', minimum: 60, maximum: 604800, default: 86400 },
    /** How long sent and given-up messages are kept, without their bodies (recipient, kind, times, last error). */
    MAIL_RETENTION_SECONDS: { type: 'integer', minimum: 0, maximum: 31536000, default: 604800 },
    /** required: login waits for the emailed link, sign-up answers 202 either way; optional: the link is sent, login works without it; off: no mail. */
    EMAIL_VERIFICATION: { type: 'string', enum: ['required', 'optional', 'off'], default: 'optional' },
    EMAIL_VERIFICATION_TTL_SECONDS: { type: 'integer', minimum: 600, maximum: 604800, default: 86400 },
    /** A reset link's life: short, since whoever reads the mailbox can take over the account with it. */
    PASSWORD_RESET_TTL_SECONDS: { type: 'integer', minimum: 300, maximum: 86400, default: 1800 },
    /** Password-reset and verification requests (and their completions) per client IP, per minute. */
    RATE_LIMIT_EMAIL_PER_MINUTE: { type: 'integer', minimum: 1, maximum: 100000, default: 10 },
    /** Reset and verification emails per account (or address asked for), per hour: bounds mail bombing. */
    RATE_LIMIT_EMAIL_PER_ACCOUNT_PER_HOUR: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
    /** An admin's browser session ends at most this long after sign-in, whatever SESSION_ABSOLUTE_SECONDS says (docs/admin.md). */
    ADMIN_SESSION_ABSOLUTE_SECONDS: { type: 'integer', minimum: 300, maximum: 2592000, default: 28800 },
    /** Sensitive admin actions need a password check (or, with a token, a login) at most this old. */
    ADMIN_REAUTH_SECONDS: { type: 'integer', minimum: 30, maximum: 86400, default: 300 },
    /** The relying party's name that authenticators show when a passkey is made (WebAuthn §5.4.1); the RP ID and origin come from ISSUER. */
    WEBAUTHN_RP_NAME: { type: 'string', minLength: 1, maxLength: 64, default: 'Identity service' },
    /** How long a passkey ceremony (its challenge) stays open: the browser's timeout and the challenge's life on the server. */
    WEBAUTHN_TIMEOUT_SECONDS: { type: 'integer', minimum: 30, maximum: 600, default: 120 },
  },
  additionalProperties: true,
} as const;

export type EnvVar = keyof typeof envSchema.properties;
