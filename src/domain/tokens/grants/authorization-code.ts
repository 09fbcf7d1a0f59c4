import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthorizationCodeStore } from '../../authorization/authorization-code-store.js';
import type { Clock } from '../../clock.js';
import { AppError } from '../../errors.js';
import type { Role } from '../../users/user.js';
import type { AccessTokens } from '../access-tokens.js';
import type { IdTokens, UserProfile } from '../id-tokens.js';
import { hashOpaqueToken, looksLikeOpaqueToken } from '../opaque-token.js';
import { parseScope } from '../scope.js';
import type { TokenServices } from '../token-services.js';
import type { Grant } from './grant.js';

export interface AuthorizationCodeGrantDeps {
  readonly codes: AuthorizationCodeStore;
  readonly tokens: Pick<TokenServices, 'startLogin' | 'revokeLogin'>;
  readonly idTokens: IdTokens;
  readonly accessTokens: AccessTokens;
  /** The account, while it is enabled. */
  readonly activeUser: (userId: string) => Promise<(UserProfile & { readonly roles: readonly Role[] }) | undefined>;
  readonly clock: Clock;
}

// RFC 7636 §4.1: 43–128 unreserved characters.
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

// One answer for every failure (§5.2), so a caller learns nothing about which binding failed.
const invalidGrant = () => new AppError('invalid_grant', 'The authorization code is invalid, expired or already used.');

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is spent on its first
 * presentation, whatever follows; it must come from the client it was issued
 * to, with the same redirect_uri and the verifier of its challenge. A second
 * presentation revokes the login the first one started (§4.1.2: the code may
 * have been stolen, so what it issued is not to be trusted).
 */
export function authorizationCodeGrant(deps: AuthorizationCodeGrantDeps): Grant {
  return async ({ client, params, ip, userAgent, dpopJkt }) => {
    const { code: presented, redirect_uri: redirectUri, code_verifier: verifier } = params;
    if (!presented || !redirectUri) throw new AppError('invalid_request', 'code and redirect_uri are required.');
    if (!verifier) throw new AppError('invalid_request', 'code_verifier is required (PKCE).');
    if (!looksLikeOpaqueToken(presented)) throw invalidGrant();

    const redemption = await deps.codes.redeem(hashOpaqueToken(presented), deps.clock.now());
    if (redemption.outcome === 'replayed') {
      await deps.tokens.revokeLogin(redemption.familyId, 'authorization_code_reuse');
      throw invalidGrant();
    }
    if (redemption.outcome === 'unknown') throw invalidGrant();
    const { code } = redemption;
    if (code.clientId !== client.clientId || code.redirectUri !== redirectUri || !VERIFIER.test(verifier) || !challengeMatches(verifier, code.codeChallenge)) {
      throw invalidGrant();
    }
    // RFC 9449 §10: a code requested for a key is worth nothing to whoever intercepts it without that key.
    if (code.dpopJkt !== null && code.dpopJkt !== dpopJkt) throw invalidGrant();
    const user = await deps.activeUser(code.userId);
    if (!user) throw invalidGrant();

    const scopes = parseScope(code.scope);
    const offline = scopes.includes('offline_access') && client.grantTypes.includes('refresh_token');
    const response = await deps.tokens.startLogin({
      userId: user.id,
      email: user.email,
      roles: user.roles,
      client,
      scope: code.scope,
      ...(userAgent ? { userAgent } : {}),
      ...(ip ? { ip } : {}),
      browserLogin: { familyId: code.familyId, browserSessionId: code.browserSessionId, authTime: code.authTime, amr: code.amr, offline },
      ...(dpopJkt ? { dpopJkt } : {}),
    });
    if (!scopes.includes('openid')) return response;
    const idToken = await deps.idTokens.issue({
      user,
      clientId: client.clientId,
      scope: code.scope,
      sid: code.familyId,
      authTime: code.authTime,
      amr: code.amr,
      nonce: code.nonce,
      accessToken: response.access_token,
      ttlSeconds: deps.accessTokens.ttlFor(client),
    });
    return { ...response, id_token: idToken };
  };
}

/** S256: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge (RFC 7636 §4.6), compared in constant time. */
function challengeMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
