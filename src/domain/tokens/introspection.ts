import type { Client } from '../clients/client.js';
import type { RevocationState } from '../revocations/revocation-state.js';
import { ANY_AUDIENCE, type AccessTokens } from './access-tokens.js';
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
      /** RFC 9449 §6.2: the DPoP key a resource server must see proven with the token. */
      cnf?: { jkt: string };
    };

export interface IntrospectionDeps {
  readonly accessTokens: AccessTokens;
  readonly store: RefreshStore;
  readonly clock: Clock;
  readonly issuer: string;
  readonly lifetimes: Pick<FamilyLifetimes, 'idleTtlSeconds'>;
  /** This replica's revocations, in memory: an access token is judged without a database round trip. */
  readonly revocations: Pick<RevocationState, 'isRevoked'>;
}

const INACTIVE = { active: false } as const;
const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** The scope in a client's registration that entitles it to introspect every client's tokens (a resource server, a gateway). */
export const INTROSPECT_SCOPE = 'introspect';

/**
 * RFC 7662 §2.1 and §4: the endpoint answers only callers entitled to learn
 * about a token. An entitled client learns about any token; any other
 * confidential client only about tokens issued to itself, and `active: false`
 * for the rest, the same answer as for an unknown token, so it cannot scan
 * other clients' tokens for their `sub` and `sid`.
 */
export async function introspect(deps: IntrospectionDeps, caller: Client, token: string): Promise<IntrospectionResponse> {
  const answer = await describeToken(deps, token);
  if (!answer.active || answer.client_id === caller.clientId || caller.scopes.includes(INTROSPECT_SCOPE)) return answer;
  return INACTIVE;
}

/** Answers for access tokens (verified offline, then checked against the revocations in memory) and refresh tokens. */
async function describeToken(deps: IntrospectionDeps, token: string): Promise<IntrospectionResponse> {
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
  if (deps.revocations.isRevoked(claims)) return INACTIVE;
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
    ...(claims.cnf ? { cnf: { jkt: claims.cnf.jkt } } : {}),
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
    ...(family.dpopJkt ? { cnf: { jkt: family.dpopJkt } } : {}),
  };
}
