import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { VerifierError } from './errors.js';
import type { Fetch } from './http.js';
import type { KeyCache } from './key-cache.js';

export interface RevocationOptions {
  /** How often the feed is polled (with If-None-Match, so an unchanged feed is a 304). Default 5000. */
  pollIntervalMs?: number;
  /** How long the last good copy may go without a successful poll before `failMode` applies. Default 300000, the feed's own lifetime. */
  maxStalenessMs?: number;
  /** Past maxStalenessMs: 'closed' rejects every token (feed_stale), 'open' keeps verifying with the last copy. Default 'closed'. */
  failMode?: 'open' | 'closed';
  /** client_secret_basic credentials of a confidential client; omit when the service serves the feed publicly. */
  clientId?: string;
  clientSecret?: string;
}

export interface FeedEvents {
  onUpdated(version: number): void;
  onError(error: VerifierError): void;
  onStale(stalenessMs: number): void;
  onFresh(): void;
}

interface FeedClaims extends JWTPayload {
  version: number;
  sids: Record<string, number>;
  subs: Record<string, number>;
}

/**
 * The issuer's revocation feed (docs/revocation.md of the service): a signed
 * list of the logins (`sid`) and subjects revoked while some of their access
 * tokens may be unexpired. Polled in the background; verification only reads
 * the two maps it leaves behind.
 */
export class RevocationFeed {
  readonly pollIntervalMs: number;
  readonly maxStalenessMs: number;
  readonly failMode: 'open' | 'closed';
  #sids = new Map<string, number>();
  #subs = new Map<string, number>();
  #version: number | undefined;
  #etag: string | undefined;
  #lastSuccessAt: number | undefined;
  #lastError: VerifierError | undefined;
  #stale = false;
  readonly #startedAt = Date.now();
  readonly #authorization: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly fetch: Fetch,
    private readonly feedUri: string,
    private readonly issuer: string,
    private readonly keys: KeyCache,
    private readonly events: FeedEvents,
    private readonly clockToleranceSeconds: number,
    private readonly timeoutMs: number,
    options: RevocationOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.maxStalenessMs = options.maxStalenessMs ?? 300_000;
    this.failMode = options.failMode ?? 'closed';
    if (options.clientId !== undefined) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret ?? '')}`;
      this.#authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
  }

  /** The first poll, awaited, then one every pollIntervalMs after the previous one ends. */
  async start(): Promise<void> {
    await this.poll();
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /**
   * The service's rule (its docs/revocation.md): a revoked login (`sid`) is
   * revoked whatever the token's iat, since it can never mint a token again; a
   * subject's entry covers the tokens issued up to its time (a disabled user
   * enabled again, a client's new client-credentials tokens).
   */
  isRevoked(sid: unknown, sub: unknown, iat: number): boolean {
    if (typeof sid === 'string' && this.#sids.has(sid)) return true;
    const subRevokedAt = typeof sub === 'string' ? this.#subs.get(sub) : undefined;
    return subRevokedAt !== undefined && subRevokedAt >= iat;
  }

  /** True when fail-closed and the copy is too old to trust. */
  refusesTokens(): boolean {
    return this.failMode === 'closed' && this.stalenessMs() > this.maxStalenessMs;
  }

  stalenessMs(): number {
    return Date.now() - (this.#lastSuccessAt ?? this.#startedAt);
  }

  status() {
    const stalenessMs = this.stalenessMs();
    return {
      version: this.#version,
      lastSuccessAt: this.#lastSuccessAt,
      stalenessMs,
      stale: stalenessMs > this.maxStalenessMs,
      failMode: this.failMode,
      lastError: this.#lastError && { code: this.#lastError.code, message: this.#lastError.message },
    };
  }

  async poll(): Promise<void> {
    try {
      await this.#fetchFeed();
      this.#lastSuccessAt = Date.now();
      this.#lastError = undefined;
      if (this.#stale) {
        this.#stale = false;
        this.events.onFresh();
      }
    } catch (cause) {
      const error = cause instanceof VerifierError ? cause : new VerifierError('feed_stale', 'The revocation feed could not be read.', { cause });
      this.#lastError = error;
      this.events.onError(error);
      const stalenessMs = this.stalenessMs();
      if (!this.#stale && stalenessMs > this.maxStalenessMs) {
        this.#stale = true;
        this.events.onStale(stalenessMs);
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.poll().finally(() => this.#schedule()), this.pollIntervalMs);
    // A verifier must never keep its host process alive.
    this.#timer.unref();
  }

  async #fetchFeed(): Promise<void> {
    const headers: Record<string, string> = { accept: 'application/jwt' };
    if (this.#authorization) headers.authorization = this.#authorization;
    if (this.#etag) headers['if-none-match'] = this.#etag;
    let response: Response;
    try {
      response = await this.fetch(this.feedUri, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new VerifierError('feed_stale', `${this.feedUri} is unreachable`, { cause });
    }
    if (response.status === 304 && this.#version !== undefined) return;
    if (response.status !== 200) throw new VerifierError('feed_stale', `${this.feedUri} answered ${response.status}`);
    const claims = await this.#verify(await response.text());
    // A cache or a replayed response must not roll back revocations already seen.
    if (this.#version !== undefined && claims.version < this.#version) throw new VerifierError('feed_stale', `${this.feedUri} served version ${claims.version}, older than ${this.#version}`);
    this.#sids = new Map(Object.entries(claims.sids));
    this.#subs = new Map(Object.entries(claims.subs));
    this.#etag = response.headers.get('etag') ?? undefined;
    if (claims.version !== this.#version) {
      this.#version = claims.version;
      this.events.onUpdated(claims.version);
    }
  }

  async #verify(jwt: string): Promise<FeedClaims> {
    try {
      const { payload } = await jwtVerify<FeedClaims>(jwt, this.keys.getKey, {
        algorithms: ['ES256'],
        // The feed's own typ: neither an access token nor any other JWT of the issuer passes for it (RFC 8725 §3.11).
        typ: 'revocation-feed+jwt',
        issuer: this.issuer,
        requiredClaims: ['iat', 'exp', 'version'],
        clockTolerance: this.clockToleranceSeconds,
      });
      if (!Number.isSafeInteger(payload.version) || !isTimes(payload.sids) || !isTimes(payload.subs)) throw new VerifierError('feed_stale', 'The revocation feed has malformed claims.');
      return payload;
    } catch (cause) {
      if (cause instanceof VerifierError && cause.code !== 'invalid_token') throw cause;
      const reason = cause instanceof joseErrors.JOSEError ? cause.code : 'its key is unknown';
      throw new VerifierError('feed_stale', `The revocation feed failed verification (${reason}).`, { cause });
    }
  }
}

function isTimes(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((time) => typeof time === 'number');
}
