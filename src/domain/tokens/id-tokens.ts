import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import { es256Signers } from './jwt-signers.js';
import { parseScope } from './scope.js';
import { MFA_ACR, usedSecondFactor } from '../mfa/amr.js';

/** What the ID token and userinfo may say about a user (OIDC Core §5.1), chosen by scope. */
export interface UserProfile {
  readonly id: string;
  readonly email: string;
  readonly emailVerifiedAt: Date | null;
}

export interface IdTokenInput {
  readonly user: UserProfile;
  readonly clientId: string;
  readonly scope: string;
  /** The login (refresh family) the tokens belong to: the `sid` of the access tokens too. */
  readonly sid: string;
  readonly authTime: Date | null;
  readonly amr: readonly string[];
  readonly nonce?: string | null;
  /** The access token issued with it, for `at_hash` (Core §3.1.3.6). */
  readonly accessToken: string;
  readonly ttlSeconds: number;
}

/** The standard claims of the granted scopes (Core §5.4): `email` gives email and email_verified. */
export function profileClaims(user: UserProfile, scope: string): Record<string, unknown> {
  const scopes = new Set(parseScope(scope));
  return scopes.has('email') ? { email: user.email, email_verified: user.emailVerifiedAt !== null } : {};
}

export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'amr', 'acr', 'azp', 'at_hash', 'email', 'email_verified'];

/**
 * OpenID Connect ID tokens (Core §2), ES256 under the key ring that signs
 * access tokens, so the one JWKS verifies both. `typ: JWT`, never `at+jwt`:
 * an ID token is not accepted where an access token is (RFC 9068 §4).
 */
export class IdTokens {
  readonly #signerFor = es256Signers('JWT');

  constructor(
    private readonly keys: KeyRing,
    private readonly issuer: string,
    private readonly clock: Clock,
  ) {}

  async issue(input: IdTokenInput): Promise<string> {
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const claims = {
      iss: this.issuer,
      sub: input.user.id,
      aud: input.clientId,
      iat,
      exp: iat + input.ttlSeconds,
      ...profileClaims(input.user, input.scope),
      ...(input.authTime ? { auth_time: Math.floor(input.authTime.getTime() / 1000) } : {}),
      ...(input.nonce ? { nonce: input.nonce } : {}),
      ...(input.amr.length > 0 ? { amr: input.amr } : {}),
      // docs/mfa.md: a login with a second factor satisfies the multi-factor policy, which relying parties request with acr_values.
      ...(usedSecondFactor(input.amr) ? { acr: MFA_ACR } : {}),
      sid: input.sid,
      // Core §2: azp names the party the token was issued to; with a single audience it is that audience.
      azp: input.clientId,
      at_hash: leftHalfHash(input.accessToken),
    };
    return this.#signerFor(kid, privateKey)(claims);
  }

  /**
   * An `id_token_hint` (OIDC RP-Initiated Logout §2): one we signed, for our
   * issuer; expiry does not matter, since the user may sign out long after
   * signing in. Undefined when it is not ours.
   */
  async verifyHint(token: string): Promise<{ sub: string; aud: string; sid?: string } | undefined> {
    try {
      const { kid, alg, typ } = decodeProtectedHeader(token);
      if (alg !== 'ES256' || typ !== 'JWT' || typeof kid !== 'string') return undefined;
      const key = await this.keys.verificationKey(kid);
      if (!key) return undefined;
      const { payload } = await compactVerify(token, key, { algorithms: ['ES256'] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (claims.iss !== this.issuer || typeof claims.sub !== 'string' || typeof claims.aud !== 'string') return undefined;
      return { sub: claims.sub, aud: claims.aud, ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}) };
    } catch {
      return undefined;
    }
  }
}

/** Core §3.1.3.6: base64url of the left half of the SHA-256 of the ASCII token (ES256 hashes with SHA-256). */
const leftHalfHash = (token: string): string => createHash('sha256').update(token, 'ascii').digest().subarray(0, 16).toString('base64url');
