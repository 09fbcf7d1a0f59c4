import { EventEmitter } from 'node:events';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { discover } from './discovery.js';
import { DpopVerifier, type DpopPresentation } from './dpop.js';
import { VerifierError } from './errors.js';
import type { Fetch } from './http.js';
import { KeyCache } from './key-cache.js';
import { RevocationFeed, type RevocationOptions } from './revocation-feed.js';

export interface VerifierOptions {
  /** The issuer exactly as it appears in `iss` (the service's ISSUER). */
  issuer: string;
  /** Accepted `aud` value(s). */
  audience: string | string[];
  /** Allowed clock skew for exp, iat, nbf. Default 30. */
  clockToleranceSeconds?: number;
  /** Claims a token must carry besides sub, iat and exp (which the checks rely on). Default client_id, jti. */
  requiredClaims?: string[];
  /** Check the issuer's revocation feed. Without it, a revoked login's access tokens pass until they expire. */
  revocation?: RevocationOptions;
  /** Least time between JWKS fetches caused by unknown kids. Default 10000. */
  jwksCooldownMs?: number;
  /** Age of a DPoP proof's iat accepted. Default 60. */
  dpopProofMaxAgeSeconds?: number;
  /** Timeout of each request to the issuer. Default 5000. */
  timeoutMs?: number;
  /** A fetch implementation (tests, proxies). Default globalThis.fetch. */
  fetch?: Fetch;
}

/** The claims of the service's access tokens (docs/contract.md). */
export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
  scope?: string;
  sid?: string;
  roles?: string[];
  cnf?: { jkt?: string };
}

/** How the token was presented: Bearer (RFC 6750) or DPoP with its proof (RFC 9449). */
export type Presentation = { scheme: 'Bearer' } | ({ scheme: 'DPoP' } & DpopPresentation);

export interface RequestCredentials {
  authorization: string | undefined;
  dpop: string | string[] | undefined;
  method: string;
  /** Absolute URL of the request as the client addressed it. */
  url: string;
}

export interface VerifierStatus {
  jwks: { kids: string[]; fetchedAt: number | undefined; expiresAt: number | undefined };
  revocation: ReturnType<RevocationFeed['status']> | undefined;
}

export interface VerifierEventMap {
  /** A new revocation feed version was applied. */
  revocations: [{ version: number }];
  feed_error: [VerifierError];
  /** The feed went past maxStalenessMs without a successful poll. */
  stale: [{ stalenessMs: number; failMode: 'open' | 'closed' }];
  /** A successful poll after `stale`. */
  fresh: [];
  jwks: [{ kids: string[] }];
  jwks_error: [VerifierError];
}

/** The revocation check reads sub and iat; a token without exp would never expire. */
const ALWAYS_REQUIRED = ['sub', 'iat', 'exp'];
const DEFAULT_REQUIRED_CLAIMS = ['client_id', 'jti'];

export class Verifier extends EventEmitter<VerifierEventMap> {
  readonly #keys: KeyCache;
  readonly #feed: RevocationFeed | undefined;
  readonly #dpop: DpopVerifier;
  readonly #options: JWTVerifyOptions;
  readonly dpopAlgorithms: string[];

  /** Use createVerifier, which discovers the issuer first. */
  constructor(options: VerifierOptions, metadata: { jwks_uri: string; revocation_feed_uri?: string; dpop_signing_alg_values_supported?: string[] }) {
    super();
    const fetch = options.fetch ?? globalThis.fetch;
    const timeoutMs = options.timeoutMs ?? 5000;
    const clockTolerance = options.clockToleranceSeconds ?? 30;
    this.#keys = new KeyCache(fetch, metadata.jwks_uri, {
      cooldownMs: options.jwksCooldownMs ?? 10_000,
      defaultMaxAgeMs: 300_000,
      timeoutMs,
      onFetched: (kids) => this.emit('jwks', { kids }),
      onError: (error) => this.emit('jwks_error', error),
    });
    if (options.revocation) {
      if (!metadata.revocation_feed_uri) throw new VerifierError('discovery_failed', `${options.issuer} publishes no revocation_feed_uri`);
      this.#feed = new RevocationFeed(fetch, metadata.revocation_feed_uri, options.issuer, this.#keys, {
        onUpdated: (version) => this.emit('revocations', { version }),
        onError: (error) => this.emit('feed_error', error),
        onStale: (stalenessMs) => this.emit('stale', { stalenessMs, failMode: this.#feed!.failMode }),
        onFresh: () => this.emit('fresh'),
      }, clockTolerance, timeoutMs, options.revocation);
    }
    this.dpopAlgorithms = metadata.dpop_signing_alg_values_supported ?? ['ES256'];
    this.#dpop = new DpopVerifier({ algorithms: this.dpopAlgorithms, proofMaxAgeSeconds: options.dpopProofMaxAgeSeconds ?? 60, clockToleranceSeconds: clockTolerance });
    this.#options = {
      // The service signs ES256 only; naming it here is what stops alg=none and HS256-with-the-public-key (RFC 8725 §3.1).
      algorithms: ['ES256'],
      // RFC 9068 §4: an ID token or the revocation feed never passes for an access token.
      typ: 'at+jwt',
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance,
      requiredClaims: [...new Set([...ALWAYS_REQUIRED, ...(options.requiredClaims ?? DEFAULT_REQUIRED_CLAIMS)])],
    };
  }

  /** Fetches the JWKS and the first revocation feed; called by createVerifier. */
  async start(): Promise<void> {
    await this.#keys.load();
    await this.#feed?.start();
  }

  /** Verifies an access token; throws VerifierError. A DPoP-bound token must come with its proof (RFC 9449 §7.2). */
  async verify(token: string, presentation: Presentation = { scheme: 'Bearer' }): Promise<AccessTokenClaims> {
    if (this.#feed?.refusesTokens()) throw new VerifierError('feed_stale', 'The revocation feed is too old to trust.');
    let claims: AccessTokenClaims;
    try {
      claims = (await jwtVerify<AccessTokenClaims>(token, this.#keys.getKey, this.#options)).payload;
    } catch (cause) {
      throw asVerifierError(cause);
    }
    if (this.#feed?.isRevoked(claims.sid, claims.sub, claims.iat)) throw new VerifierError('token_revoked', 'The token has been revoked.');
    const jkt = claims.cnf?.jkt;
    if (presentation.scheme === 'Bearer') {
      if (jkt !== undefined) throw new VerifierError('invalid_token', 'The token is bound to a DPoP key: present it with the DPoP scheme and a proof.', { dpop: true });
    } else {
      if (typeof jkt !== 'string') throw new VerifierError('invalid_token', 'The token is not DPoP-bound: present it with the Bearer scheme.');
      await this.#dpop.verify(presentation, token, jkt);
    }
    return claims;
  }

  /** Reads the Authorization and DPoP headers of a request, then verify(). */
  verifyRequest({ authorization, dpop, method, url }: RequestCredentials): Promise<AccessTokenClaims> {
    const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '');
    if (!authorization) return Promise.reject(new VerifierError('missing_token', 'The request has no access token.'));
    if (!match) return Promise.reject(new VerifierError('invalid_token', 'The Authorization header is not a Bearer or DPoP token.'));
    const token = match[2]!;
    if (match[1]!.toLowerCase() === 'bearer') return this.verify(token, { scheme: 'Bearer' });
    // RFC 9449 §4.3: exactly one DPoP header.
    if (Array.isArray(dpop)) return Promise.reject(new VerifierError('invalid_dpop_proof', 'The request has more than one DPoP header.'));
    return this.verify(token, { scheme: 'DPoP', proof: dpop, method, url });
  }

  status(): VerifierStatus {
    return { jwks: this.#keys.status(), revocation: this.#feed?.status() };
  }

  /** Stops the feed's timer (it is unref'd: an open verifier never holds the process up either). */
  close(): void {
    this.#feed?.close();
  }
}

function asVerifierError(cause: unknown): VerifierError {
  if (cause instanceof VerifierError) return cause;
  // By code, never by message.
  if (cause instanceof joseErrors.JWTExpired) return new VerifierError('token_expired', 'The token has expired.', { cause });
  if (cause instanceof joseErrors.JOSEError) return new VerifierError('invalid_token', `The token is invalid (${cause.code}).`, { cause });
  return new VerifierError('invalid_token', 'The token is invalid.', { cause });
}

/** Discovers the issuer, loads its JWKS and, with `revocation`, its first revocation feed. */
export async function createVerifier(options: VerifierOptions): Promise<Verifier> {
  const metadata = await discover(options.fetch ?? globalThis.fetch, options.issuer, options.timeoutMs ?? 5000);
  const verifier = new Verifier(options, metadata);
  await verifier.start();
  return verifier;
}
