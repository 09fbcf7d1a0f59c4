/** The validated, frozen configuration every other module receives. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly issuer: string;
  readonly database: { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number } | { readonly kind: 'embedded'; readonly dataDir: string };
  readonly databaseTimeoutMs: number;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly clientsFile: string;
  readonly logLevel: string;
  readonly keyEncryptionKey: string | undefined;
  readonly accessToken: { readonly ttlSeconds: number; readonly audience: string; readonly clockSkewSeconds: number };
  readonly refresh: { readonly graceSeconds: number; readonly familyTtlSeconds: number; readonly idleTtlSeconds: number };
  readonly keys: { readonly rotationDays: number; readonly prepublishSeconds: number; readonly jwksMaxAgeSeconds: number };
  readonly session: { readonly idleSeconds: number; readonly absoluteSeconds: number };
  readonly accounts: { readonly signupEnabled: boolean; readonly passwordMinLength: number };
  readonly login: { readonly maxFailures: number; readonly lockoutSeconds: number; readonly ratePerMinute: number };
  readonly bodyLimitBytes: number;
  readonly shutdown: { readonly graceMs: number; readonly delayMs: number };
}

