import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTHeaderParameters } from 'jose';
import { AppError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { AccessTokenClaims } from './access-token.js';

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
}

// Headers that would let a token name its own verification key; we never follow them.
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Introspection answers for tokens meant for any resource server, not only for this service. */
export const ANY_AUDIENCE = Symbol('any audience');

export const INVALID_TOKEN = 'The access token is invalid or expired.';

/** Signs and verifies RFC 9068 JWT access tokens with the key ring's ES256 keys. */
export class AccessTokens {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: AccessTokenSettings,
    private readonly clock: Clock,
  ) {}

  get ttlSeconds(): number {
    return this.settings.ttlSeconds;
  }

  async issue(subject: AccessTokenSubject): Promise<{ token: string; claims: AccessTokenClaims }> {
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.settings.issuer,
      sub: subject.sub,
      aud: subject.aud,
      exp: iat + this.settings.ttlSeconds,
      iat,
      jti: randomUUID(),
      client_id: subject.clientId,
      scope: subject.scope,
      ...(subject.sid ? { sid: subject.sid } : {}),
      ...(subject.roles ? { roles: subject.roles } : {}),
      ...(subject.email ? { email: subject.email } : {}),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(privateKey);
    return { token, claims };
  }

  /**
   * Offline verification (RFC 9068 §4): ES256 only, our issuer, the expected
   * audience, `typ: at+jwt`, unexpired within the configured skew, signed by a
   * key we publish. Throws AppError('unauthenticated') for anything else.
   */
  async verify(token: string, audience: string | typeof ANY_AUDIENCE = this.settings.audience): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: ['ES256'],
        issuer: this.settings.issuer,
        ...(audience === ANY_AUDIENCE ? {} : { audience }),
        typ: 'at+jwt',
        clockTolerance: this.settings.clockSkewSeconds,
        currentDate: this.clock.now(),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'scope'],
      });
      return payload as unknown as AccessTokenClaims;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('unauthenticated', INVALID_TOKEN, { cause: error, internal: `access token rejected: ${(error as { code?: string }).code ?? 'invalid'}` });
    }
  }

  private async keyFor(header: JWTHeaderParameters) {
    if (KEY_CARRYING_HEADERS.some((name) => name in header)) {
      throw new AppError('unauthenticated', INVALID_TOKEN, { internal: 'access token carries a key header' });
    }
    const key = header.kid ? await this.keys.verificationKey(header.kid) : undefined;
    if (!key) throw new AppError('unauthenticated', INVALID_TOKEN, { internal: 'access token signed by an unknown or withdrawn key' });
    return key;
  }
}
