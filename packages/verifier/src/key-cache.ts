import { importJWK, type JWK, type JWSHeaderParameters } from 'jose';
import { VerifierError } from './errors.js';
import { fetchJson, maxAgeMs, type Fetch } from './http.js';

export interface KeyCacheOptions {
  /** The least time between two fetches that an unknown `kid` may cause. */
  cooldownMs: number;
  /** How long a JWKS without `Cache-Control: max-age` is trusted. */
  defaultMaxAgeMs: number;
  timeoutMs: number;
  onFetched(kids: string[]): void;
  onError(error: VerifierError): void;
}

type PublicKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * The issuer's JWKS, imported once per fetch. Re-fetched when its max-age runs
 * out and when a token names a `kid` not in it (a rotation: the service
 * publishes a new key before signing with it, so this is rare), but never more
 * often than `cooldownMs` for unknown kids: tokens with random kids cost the
 * issuer one request per cooldown, not one each. A fetch replaces the whole
 * set, so a key the issuer withdrew (compromised) stops verifying at once.
 */
export class KeyCache {
  #keys = new Map<string, PublicKey>();
  #expiresAt = 0;
  #fetchedAt = -Infinity;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly fetch: Fetch,
    private readonly jwksUri: string,
    private readonly options: KeyCacheOptions,
  ) {}

  /** For jose's jwtVerify: the key of the header's kid, without awaiting anything when it is cached and fresh. */
  readonly getKey = (header: JWSHeaderParameters): PublicKey | Promise<PublicKey> => {
    const kid = header.kid;
    if (typeof kid !== 'string') throw new VerifierError('invalid_token', 'The token has no kid.');
    if (Date.now() < this.#expiresAt) {
      const key = this.#keys.get(kid);
      if (key) return key;
      if (Date.now() - this.#fetchedAt < this.options.cooldownMs) throw unknownKid();
    }
    return this.#refresh().then(() => this.#keys.get(kid) ?? Promise.reject(unknownKid()));
  };

  status() {
    return { kids: [...this.#keys.keys()], fetchedAt: Number.isFinite(this.#fetchedAt) ? this.#fetchedAt : undefined, expiresAt: this.#expiresAt || undefined };
  }

  /** One fetch at a time; concurrent callers share it. */
  load(): Promise<void> {
    this.#inFlight ??= this.#fetchKeys().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #refresh(): Promise<void> {
    try {
      await this.load();
    } catch (error) {
      // Keep verifying with the keys we have: an issuer outage must not fail every token.
      if (this.#keys.size === 0) throw error;
    }
  }

  async #fetchKeys(): Promise<void> {
    this.#fetchedAt = Date.now();
    try {
      const { body, headers } = await fetchJson(this.fetch, this.jwksUri, 'jwks_unavailable', this.options.timeoutMs);
      const keys = new Map<string, PublicKey>();
      for (const jwk of jwksKeys(body)) {
        // Only keys that can verify ES256: nothing in the set can widen the accepted algorithms.
        if (typeof jwk.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.use ?? 'sig') !== 'sig' || (jwk.alg ?? 'ES256') !== 'ES256') continue;
        keys.set(jwk.kid, await importJWK(jwk, 'ES256'));
      }
      this.#keys = keys;
      // Never shorter than the cooldown: a `max-age=0` JWKS must not turn every request into a fetch.
      this.#expiresAt = Date.now() + Math.max(this.options.cooldownMs, maxAgeMs(headers.get('cache-control')) ?? this.options.defaultMaxAgeMs);
      this.options.onFetched([...keys.keys()]);
    } catch (cause) {
      const error = cause instanceof VerifierError ? cause : new VerifierError('jwks_unavailable', `${this.jwksUri} holds an unusable key`, { cause });
      // Try again after the cooldown, not on every request.
      this.#expiresAt = Math.max(this.#expiresAt, Date.now() + this.options.cooldownMs);
      this.options.onError(error);
      throw error;
    }
  }
}

function jwksKeys(body: unknown): JWK[] {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new VerifierError('jwks_unavailable', 'The JWKS has no keys array.');
  return keys as JWK[];
}

const unknownKid = () => new VerifierError('invalid_token', 'The token is signed with a key the issuer does not publish.');
