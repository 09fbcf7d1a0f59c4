/** The validated, frozen configuration every other module receives. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly issuer: string;
  /** The issuer is https: cookies are Secure with the __Host- prefix, HSTS is sent. */
  readonly httpsIssuer: boolean;
  readonly database: { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number } | { readonly kind: 'embedded'; readonly dataDir: string };
  readonly databaseTimeoutMs: number;
  /** PostgreSQL: apply pending migrations at start instead of refusing to start (the embedded database always does). */
  readonly migrateOnStart: boolean;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly clientsFile: string;
  readonly logLevel: string;
  readonly logRequests: boolean;
  readonly trustProxy: boolean | number | readonly string[];
  readonly keyEncryptionKey: string | undefined;
  readonly accessToken: { readonly ttlSeconds: number; readonly audience: string; readonly clockSkewSeconds: number };
  readonly refresh: { readonly graceSeconds: number; readonly familyTtlSeconds: number; readonly idleTtlSeconds: number };
  readonly keys: { readonly rotationDays: number; readonly prepublishSeconds: number; readonly jwksMaxAgeSeconds: number; readonly reloadSeconds: number };
  readonly session: { readonly idleSeconds: number; readonly absoluteSeconds: number };
  readonly accounts: { readonly signupEnabled: boolean; readonly passwordMinLength: number };
  readonly login: { readonly maxFailures: number; readonly lockoutSeconds: number; readonly ratePerMinute: number; readonly accountRatePerMinute: number };
  /** argon2id parameters for new hashes; older hashes are upgraded at the next login. */
  readonly passwordHashing: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
  /** Password hashes computed at once (the rest queue). */
  readonly passwordHashingConcurrency: number;
  /** The job that deletes expired and revoked rows (src/domain/maintenance). */
  readonly pruning: { readonly intervalSeconds: number; readonly batchSize: number; readonly retentionSeconds: number };
  readonly bodyLimitBytes: number;
  /** How long a client may take to send a request, and keep an idle connection open (src/http/fastify.ts). */
  readonly httpTimeouts: { readonly requestMs: number; readonly headersMs: number; readonly keepAliveMs: number };
  readonly shutdown: { readonly graceMs: number; readonly delayMs: number };
  /** OpenTelemetry traces to an OTLP/HTTP collector; undefined when OTEL_EXPORTER_OTLP_ENDPOINT is unset. */
  readonly tracing: TracingConfig | undefined;
  /** GET /oauth/revocations (docs/revocation.md). */
  readonly revocationFeed: { readonly public: boolean; readonly lifetimeSeconds: number; readonly maxAgeSeconds: number };
  /** DPoP proofs (RFC 9449): their accepted age, and whether server nonces are required. */
  readonly dpop: { readonly proofLifetimeSeconds: number; readonly nonceRequired: boolean };
  /** Outgoing mail and its outbox (docs/accounts.md); smtpUrl undefined: the development transport. */
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly serviceName: string;
    readonly pollSeconds: number;
    readonly retryLifetimeSeconds: number;
    readonly retentionSeconds: number;
  };
  /** Email verification, password reset and their limits (docs/accounts.md). */
  readonly accountLifecycle: {
    readonly emailVerification: 'required' | 'optional' | 'off';
    readonly verificationTtlSeconds: number;
    readonly resetTtlSeconds: number;
    readonly ratePerMinute: number;
    readonly accountRatePerHour: number;
  };
  /** Admin browser sessions' lifetime and the re-authentication window of sensitive admin actions (docs/admin.md). */
  readonly admin: { readonly sessionAbsoluteSeconds: number; readonly reauthSeconds: number };
  /** Passkeys (WebAuthn): the relying party, derived from the issuer, and how long a ceremony may take. */
  readonly webauthn: { readonly rpName: string; readonly rpId: string; readonly origin: string; readonly timeoutSeconds: number };
}

export interface TracingConfig {
  readonly endpoint: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
}

