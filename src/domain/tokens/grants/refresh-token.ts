import { AppError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { AccessTokens } from '../access-tokens.js';
import { hashOpaqueToken, looksLikeOpaqueToken, successorOf } from '../opaque-token.js';
import { idleCutoff, isFamilyLive, judgeSpentPresentation, type FamilyLifetimes } from '../refresh-family.js';
import type { RefreshStore, RotatedFamily } from '../refresh-store.js';
import { grantScope, parseScope } from '../scope.js';
import type { Grant, GrantRequest } from './grant.js';
import type { IdTokens } from '../id-tokens.js';
import { tokenTypeFor, type TokenResponse } from '../token-response.js';

export interface RefreshEvents {
  graceReplay(): void;
  reuseDetected(familyId: string): void;
}

export interface RefreshGrantDeps {
  readonly store: RefreshStore;
  readonly accessTokens: AccessTokens;
  readonly clock: Clock;
  readonly lifetimes: FamilyLifetimes;
  /** Server-side key of the successor derivation (see opaque-token.ts). */
  readonly successorKey: Buffer;
  readonly events: RefreshEvents;
  /** A family whose scope holds `openid` gets a fresh ID token on every refresh (OIDC Core §12.2). */
  readonly idTokens: IdTokens;
}

const invalidGrant = () => new AppError('invalid_grant', 'The refresh token is invalid, expired or revoked.');

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the presented token is spent
 * and its successor issued atomically; a replay of the immediate parent
 * within the grace window answers the same successor; any other reuse revokes
 * the family.
 */
export function refreshTokenGrant(deps: RefreshGrantDeps): Grant {
  return async (request) => {
    const presented = request.params.refresh_token;
    if (!presented) throw new AppError('invalid_request', 'refresh_token is required.');
    if (!looksLikeOpaqueToken(presented)) throw invalidGrant();
    const tokenHash = hashOpaqueToken(presented);
    // Check a narrowing scope before spending anything, so a bad request never costs the client its token.
    if (request.params.scope !== undefined) await checkNarrowing(deps, tokenHash, request.params.scope);

    const now = deps.clock.now();
    const successor = successorOf(presented, deps.successorKey);
    const family =
      (await deps.store.rotate({
        tokenHash,
        successorHash: hashOpaqueToken(successor),
        clientId: request.client.clientId,
        now,
        idleCutoff: idleCutoff(now, { idleTtlSeconds: request.client.refreshIdleTtlSeconds ?? deps.lifetimes.idleTtlSeconds }),
        dpopJkt: request.dpopJkt ?? null,
      })) ?? (await judgeNonRotation(deps, tokenHash, request, now));

    const scope = request.params.scope === undefined ? family.scope : grantScope(request.params.scope, parseScope(family.scope));
    const ttlSeconds = deps.accessTokens.ttlFor(request.client);
    const { token } = await deps.accessTokens.issue({
      sub: family.userId,
      aud: request.client.audience,
      clientId: family.clientId,
      scope,
      sid: family.familyId,
      roles: family.roles,
      email: family.email,
      ttlSeconds,
      amr: family.amr,
      ...(request.dpopJkt ? { jkt: request.dpopJkt } : {}),
    });
    const response: TokenResponse = { access_token: token, token_type: tokenTypeFor(request.dpopJkt), expires_in: ttlSeconds, refresh_token: successor, scope };
    if (!parseScope(scope).includes('openid')) return response;
    // The rotation read the account (enabled, as it checked) in the same statement: no second lookup.
    const user = { id: family.userId, email: family.email, emailVerifiedAt: family.emailVerifiedAt };
    const idToken = await deps.idTokens.issue({ user, clientId: family.clientId, scope, sid: family.familyId, authTime: family.authTime, amr: family.amr, accessToken: token, ttlSeconds });
    return { ...response, id_token: idToken };
  };
}

async function checkNarrowing(deps: RefreshGrantDeps, tokenHash: string, requested: string): Promise<void> {
  const found = await deps.store.findByToken(tokenHash);
  if (found) grantScope(requested, parseScope(found.family.scope));
}

/** The token did not rotate: decide, under the family's row lock, between a grace replay, a reuse and a plain failure. */
async function judgeNonRotation(deps: RefreshGrantDeps, tokenHash: string, request: GrantRequest, now: Date): Promise<RotatedFamily> {
  const outcome = await deps.store.judge<RotatedFamily | { reusedFamilyId: string } | undefined>(
    tokenHash,
    (presented) => {
      // Unknown, another client's, never spent (so only its family or user can be at fault), or a dead family: nothing to detect.
      if (!presented || presented.family.clientId !== request.client.clientId || presented.spentAt === null) return { verdict: 'keep', result: undefined };
      if (!isFamilyLive(presented.family, now, deps.lifetimes) || presented.userDisabled) return { verdict: 'keep', result: undefined };
      // RFC 9449 §5: without the bound key the token is useless, so its presentation proves nothing about theft by the key holder.
      if (presented.family.dpopJkt !== null && presented.family.dpopJkt !== request.dpopJkt) return { verdict: 'keep', result: undefined };
      const verdict = judgeSpentPresentation(
        { generation: presented.generation, spentAt: presented.spentAt, familyGeneration: presented.family.generation },
        now,
        deps.lifetimes,
      );
      if (verdict === 'reuse') return { verdict: 'revoke', result: { reusedFamilyId: presented.family.id } };
      const { family, roles, email, emailVerifiedAt } = presented;
      const rotated = { familyId: family.id, userId: family.userId, clientId: family.clientId, scope: family.scope, roles, email, emailVerifiedAt, authTime: family.authTime, amr: family.amr };
      return { verdict: 'keep', result: rotated };
    },
    { reason: 'refresh_token_reuse', now, audit: { clientId: request.client.clientId, ip: request.ip } },
  );
  if (outcome === undefined) throw invalidGrant();
  if ('reusedFamilyId' in outcome) {
    deps.events.reuseDetected(outcome.reusedFamilyId);
    throw invalidGrant();
  }
  deps.events.graceReplay();
  return outcome;
}
