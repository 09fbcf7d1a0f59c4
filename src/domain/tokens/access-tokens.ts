import { randomUUID, type KeyObject } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { AppError } from '../errors.js';
import type { Client } from '../clients/client.js';
import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { AccessTokenClaims } from './access-token.js';
import { es256Signers } from './jwt-signers.js';

export interface AccessTokenSettings {
  readonly issuer: string;
  readonly ttlSeconds: number;
  readonly clockSkewSeconds: number;
  /** The audience this service itself accepts (on /v1/me and friends). */
  readonly audience: string;
}

export interface AccessTokenSubject {
  readonly sub: string;
  readonly aud: string;
  readonly clientId: string;
  readonly scope: string;
  readonly sid?: string;
  readonly roles?: readonly string[];
  readonly email?: string;
  /** The client's own access-token lifetime, where it has one (clients file). */
  readonly ttlSeconds?: number;
  /** Binds the token to a DPoP key (RFC 9449 §6). */
  readonly jkt?: string;
  /** How the user authenticated (RFC 8176); omitted when unknown. */
  readonly amr?: readonly string[];
}

// Headers that would let a token name its own verification key; we never follow them.
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Introspection answers for tokens meant for any resource server, not only for this service. */
export const ANY_AUDIENCE = Symbol('any audience');

export const INVALID_TOKEN = 'The access token is invalid or expired.';

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'];

type Verify = (token: string) => Record<string, unknown>;
interface Verifiers {
  ownAudience?: Verify;
  anyAudience?: Verify;
}

/**
 * Signs and verifies RFC 9068 JWT access tokens with the key ring's ES256 keys.
 *
 * With fast-jwt, which signs and verifies through node:crypto on the calling
 * thread. jose v6 goes through WebCrypto, where every operation is a job on
 * libuv's thread pool, and the hand-off cost about as much CPU as the ECDSA
 * itself: 1.6–2.6 times fast-jwt's CPU per token (`npm run bench:jwt`);
 * without it, every token route takes 16–33 % less CPU per request (bench/README.md,
 * performance report).
 * fast-jwt imports a key when its signer or verifier is made, so there is
 * one of each per key, made on first use.
 */
export class AccessTokens {
  readonly #signerFor = es256Signers('at+jwt');
  readonly #verifiers = new WeakMap<KeyObject, Verifiers>();

  constructor(
    private readonly keys: KeyRing,
    private readonly settings: AccessTokenSettings,
    private readonly clock: Clock,
  ) {}

  get ttlSeconds(): number {
    return this.settings.ttlSeconds;
  }

  /** The lifetime of the client's access tokens. */
  ttlFor(client: Pick<Client, 'accessTokenTtlSeconds'>): number {
    return client.accessTokenTtlSeconds ?? this.settings.ttlSeconds;
  }

  async issue(subject: AccessTokenSubject): Promise<{ token: string; claims: AccessTokenClaims }> {
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.settings.issuer,
      sub: subject.sub,
      aud: subject.aud,
      exp: iat + (subject.ttlSeconds ?? this.settings.ttlSeconds),
      iat,
      jti: randomUUID(),
      client_id: subject.clientId,
      scope: subject.scope,
      ...(subject.sid ? { sid: subject.sid } : {}),
      ...(subject.roles ? { roles: subject.roles } : {}),
      ...(subject.email ? { email: subject.email } : {}),
      ...(subject.jkt ? { cnf: { jkt: subject.jkt } } : {}),
      ...(subject.amr?.length ? { amr: subject.amr } : {}),
    };
    return { token: this.#signerFor(kid, privateKey)(claims), claims };
  }

  /**
   * Offline verification (RFC 9068 §4): ES256 only, our issuer, our own
   * audience (any, with `ANY_AUDIENCE`), `typ: at+jwt`, unexpired within the
   * configured skew, signed by a key we publish. Throws
   * AppError('unauthenticated') for anything else.
   */
  async verify(token: string, audience?: typeof ANY_AUDIENCE): Promise<AccessTokenClaims> {
    let claims: Record<string, unknown>;
    try {
      // Only the header, to pick the key (1.3 µs; a complete decode took 3): the verifier decodes the token itself.
      const key = await this.#keyFor(decodeProtectedHeader(token));
      claims = this.#verifierFor(key, audience === ANY_AUDIENCE)(token);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('unauthenticated', INVALID_TOKEN, { cause: error, internal: `access token rejected: ${(error as { code?: string }).code ?? 'invalid'}` });
    }
    this.#checkLifetime(claims);
    return claims as unknown as AccessTokenClaims;
  }

  async #keyFor(header: ProtectedHeaderParameters): Promise<KeyObject> {
    if (KEY_CARRYING_HEADERS.some((name) => name in header)) {
      throw new AppError('unauthenticated', INVALID_TOKEN, { internal: 'access token carries a key header' });
    }
    const key = typeof header.kid === 'string' ? await this.keys.verificationKey(header.kid) : undefined;
    if (!key) throw new AppError('unauthenticated', INVALID_TOKEN, { internal: 'access token signed by an unknown or withdrawn key' });
    return key;
  }

  /**
   * RFC 7519 §4.1.4-5 against the injected clock, with the configured skew:
   * a verifier is made once per key, so it cannot be handed the time.
   */
  #checkLifetime(claims: Record<string, unknown>): void {
    const now = this.clock.now().getTime() / 1000;
    const skew = this.settings.clockSkewSeconds;
    const { exp, iat, nbf } = claims;
    const expired = typeof exp !== 'number' || exp <= now - skew;
    const premature = nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew);
    const reason = expired ? 'expired' : premature ? 'not yet valid' : typeof iat !== 'number' ? 'no iat' : undefined;
    if (reason) throw new AppError('unauthenticated', INVALID_TOKEN, { internal: `access token rejected: ${reason}` });
  }

  #verifierFor(publicKey: KeyObject, anyAudience: boolean): Verify {
    let verifiers = this.#verifiers.get(publicKey);
    if (!verifiers) this.#verifiers.set(publicKey, (verifiers = {}));
    const slot = anyAudience ? 'anyAudience' : 'ownAudience';
    return (verifiers[slot] ??= createVerifier({
      key: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      algorithms: ['ES256'],
      allowedIss: this.settings.issuer,
      ...(anyAudience ? {} : { allowedAud: this.settings.audience }),
      checkTyp: 'at+jwt',
      requiredClaims: REQUIRED_CLAIMS,
      ignoreExpiration: true,
      ignoreNotBefore: true,
    }));
  }
}
