import { randomUUID } from 'node:crypto';
import type { AuthorizationCodeStore } from '../authorization/authorization-code-store.js';
import type { Client } from '../clients/client.js';
import type { Clock } from '../clock.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { RevocationState } from '../revocations/revocation-state.js';
import type { RevocationStore } from '../revocations/revocation-store.js';
import { AccessTokens, type AccessTokenSettings } from './access-tokens.js';
import { authorizationCodeGrant, type AuthorizationCodeGrantDeps } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import type { GrantTable } from './grants/grant.js';
import { refreshTokenGrant, type RefreshEvents } from './grants/refresh-token.js';
import { IdTokens } from './id-tokens.js';
import { introspect } from './introspection.js';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.js';
import { idleCutoff, type FamilyLifetimes } from './refresh-family.js';
import type { RefreshStore } from './refresh-store.js';
import { revokeToken } from './revocation.js';
import { tokenTypeFor } from './token-response.js';
import type { TokenServices } from './token-services.js';

export interface TokenDomainDeps {
  readonly keys: KeyRing;
  readonly store: RefreshStore;
  /** Revocations as this replica knows them, and where the one kind no other store writes is recorded. */
  readonly revocations: { readonly state: RevocationState; readonly store: Pick<RevocationStore, 'revokeSubject'> };
  readonly clock: Clock;
  readonly accessToken: AccessTokenSettings;
  readonly lifetimes: FamilyLifetimes & { readonly familyTtlSeconds: number };
  readonly successorKey: Buffer;
  readonly events: RefreshEvents;
  readonly codes: AuthorizationCodeStore;
  readonly activeUser: AuthorizationCodeGrantDeps['activeUser'];
}

/** Builds the token use-cases: the grant table, introspection, revocation and the services accounts code uses. */
export function createTokenDomain(deps: TokenDomainDeps) {
  const { store, clock, lifetimes } = deps;
  const accessTokens = new AccessTokens(deps.keys, deps.accessToken, clock);
  const idTokens = new IdTokens(deps.keys, deps.accessToken.issuer, clock);

  const { state: revocations } = deps.revocations;
  // A revocation this replica wrote counts here before its answer leaves: the notification may come a moment later.
  const caughtUp = <T>(result: T) => revocations.catchUp().then(() => result);

  const services: TokenServices = {
    verifyAccessToken: (token) => accessTokens.verify(token),
    isRevoked: (token) => revocations.isRevoked(token),
    async startLogin({ userId, email, roles, client, scope, userAgent, ip, browserLogin, dpopJkt, amr: appAmr }) {
      const now = clock.now();
      const id = browserLogin?.familyId ?? randomUUID();
      const refreshToken = newOpaqueToken();
      const ttlSeconds = accessTokens.ttlFor(client);
      // Without offline_access nobody receives the refresh token: the family is only the `sid` of the access token, and ends with it.
      const offline = browserLogin?.offline ?? true;
      const amr = browserLogin?.amr ?? appAmr ?? [];
      const familyTtlSeconds = offline ? (client.refreshTokenTtlSeconds ?? lifetimes.familyTtlSeconds) : ttlSeconds;
      await store.createFamily(
        {
          id,
          userId,
          clientId: client.clientId,
          scope,
          userAgent: userAgent ?? null,
          ip: ip ?? null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + familyTtlSeconds * 1000),
          browserSessionId: browserLogin?.browserSessionId ?? null,
          authTime: browserLogin?.authTime ?? (appAmr ? now : null),
          amr,
          dpopJkt: client.type === 'public' ? (dpopJkt ?? null) : null,
        },
        hashOpaqueToken(refreshToken),
      );
      const { token } = await accessTokens.issue({ sub: userId, aud: client.audience, clientId: client.clientId, scope, sid: id, roles, email, ttlSeconds, amr, ...(dpopJkt ? { jkt: dpopJkt } : {}) });
      return { access_token: token, token_type: tokenTypeFor(dpopJkt), expires_in: ttlSeconds, ...(offline ? { refresh_token: refreshToken } : {}), scope };
    },
    revokeLogin: async (sid, reason) => caughtUp(await store.revokeFamily(sid, reason, clock.now())),
    revokeUserLogins: async (userId, reason, exceptSid) => caughtUp(await store.revokeUserFamilies(userId, reason, clock.now(), exceptSid)),
    async listUserLogins(userId) {
      const now = clock.now();
      const families = await store.listLiveFamilies(userId, now, idleCutoff(now, lifetimes));
      return families.map(({ id, clientId, createdAt, lastUsedAt, userAgent, ip }) => ({ id, clientId, createdAt, lastUsedAt, userAgent, ip }));
    },
    async revokeBrowserSessionLogins(browserSessionId, reason) {
      let revoked = 0;
      for (const sid of await store.familiesOfBrowserSession(browserSessionId, clock.now())) if (await services.revokeLogin(sid, reason)) revoked += 1;
      return revoked;
    },
    moveBrowserSessionLogins: (fromSessionId, toSessionId) => store.moveBrowserSessionFamilies(fromSessionId, toSessionId),
  };

  const grants: GrantTable = {
    refresh_token: refreshTokenGrant({
      store,
      accessTokens,
      clock,
      lifetimes,
      successorKey: deps.successorKey,
      events: {
        ...deps.events,
        reuseDetected: (familyId) => {
          deps.events.reuseDetected(familyId);
          // The theft's revocation is committed; the NOTIFY brings it too, and the periodic reload if both fail.
          void revocations.catchUp().catch(() => {});
        },
      },
      idTokens,
    }),
    client_credentials: clientCredentialsGrant(accessTokens),
    authorization_code: authorizationCodeGrant({ codes: deps.codes, tokens: services, idTokens, accessTokens, activeUser: deps.activeUser, clock }),
  };

  return {
    accessTokens,
    idTokens,
    services,
    grants,
    introspect: (caller: Client, token: string) =>
      introspect({ accessTokens, store, clock, issuer: deps.accessToken.issuer, lifetimes, revocations }, caller, token),
    revoke: (client: Client, token: string) =>
      revokeToken(
        { accessTokens, store, revocations: deps.revocations.store, revokeLogin: (sid) => services.revokeLogin(sid, 'token_revoked'), caughtUp: () => revocations.catchUp() },
        client,
        token,
      ),
  };
}

export type TokenDomain = ReturnType<typeof createTokenDomain>;
