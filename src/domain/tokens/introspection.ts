import { ANY_AUDIENCE, type AccessTokens } from './access-tokens.js';
import type { AccessTokenDenylist } from './access-token-denylist.js';
import type { Clock } from '../clock.js';
import { hashOpaqueToken, looksLikeOpaqueToken } from './opaque-token.js';
import { isFamilyLive, type FamilyLifetimes } from './refresh-family.js';
import type { RefreshStore } from './refresh-store.js';

/** RFC 7662 §2.2 response; inactive tokens answer nothing but `active: false`. */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      token_type: 'access_token' | 'refresh_token';
      scope: string;
      client_id: string;
      sub: string;
      aud?: string;
      iss: string;
      exp: number;
      iat: number;
      jti?: string;
      sid?: string;
    };

export interface IntrospectionDeps {
  readonly accessTokens: AccessTokens;
  readonly store: RefreshStore;
  readonly denylist: AccessTokenDenylist;
  readonly clock: Clock;
  readonly issuer: string;
  readonly lifetimes: Pick<FamilyLifetimes, 'idleTtlSeconds'>;
  /** One indexed lookup (or cache hit): is the login this token descends from revoked or expired? */
  readonly isLoginRevoked: (sid: string) => Promise<boolean>;
}

const INACTIVE = { active: false } as const;
const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** Answers for access tokens (verified offline, then checked for revocation) and refresh tokens. */
export async function introspect(deps: IntrospectionDeps, token: string): Promise<IntrospectionResponse> {
  if (looksLikeJwt(token)) return introspectAccessToken(deps, token);
  if (looksLikeOpaqueToken(token)) return introspectRefreshToken(deps, token);
  return INACTIVE;
}

async function introspectAccessToken(deps: IntrospectionDeps, token: string): Promise<IntrospectionResponse> {
  let claims;
  try {
    // Any audience: a resource server may ask about a token meant for it, not for us.
    claims = await deps.accessTokens.verify(token, ANY_AUDIENCE);
  } catch {
    return INACTIVE;
  }
  const revoked = claims.sid ? await deps.isLoginRevoked(claims.sid) : await deps.denylist.has(claims.jti);
  if (revoked) return INACTIVE;
  return {
    active: true,
    token_type: 'access_token',
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    ...(claims.sid ? { sid: claims.sid } : {}),
  };
}

async function introspectRefreshToken(deps: IntrospectionDeps, token: string): Promise<IntrospectionResponse> {
  const found = await deps.store.findByToken(hashOpaqueToken(token));
  if (!found || found.spent || !isFamilyLive(found.family, deps.clock.now(), deps.lifetimes)) return INACTIVE;
  const { family } = found;
  const idleDeadline = family.lastUsedAt.getTime() + deps.lifetimes.idleTtlSeconds * 1000;
  return {
    active: true,
    token_type: 'refresh_token',
    scope: family.scope,
    client_id: family.clientId,
    sub: family.userId,
    iss: deps.issuer,
    exp: Math.floor(Math.min(family.expiresAt.getTime(), idleDeadline) / 1000),
    iat: Math.floor(family.lastUsedAt.getTime() / 1000),
    sid: family.id,
  };
}
