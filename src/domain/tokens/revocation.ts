import type { Client } from '../clients/client.js';
import type { RevocationStore } from '../revocations/revocation-store.js';
import { ANY_AUDIENCE, type AccessTokens } from './access-tokens.js';
import { hashOpaqueToken, looksLikeOpaqueToken } from './opaque-token.js';
import type { RefreshStore } from './refresh-store.js';

export interface RevocationDeps {
  readonly accessTokens: AccessTokens;
  readonly store: RefreshStore;
  readonly revocations: Pick<RevocationStore, 'revokeSubject'>;
  readonly revokeLogin: (sid: string) => Promise<boolean>;
  /** Brings this replica's revocation state up to what was just written. */
  readonly caughtUp: () => Promise<void>;
}

/**
 * RFC 7009 §2.1. A refresh token takes its whole family with it; an access
 * token takes its login (`sid`) family. One without a login is a
 * client-credentials token, whose `sub` is its client: the client's tokens
 * issued up to this one's `iat` are revoked (§2.1 lets a revocation reach
 * further than the token; the client simply asks for a new one), which the
 * feed carries to every verifier as a `sub` entry.
 * Tokens that are unknown, invalid or another client's are ignored: the
 * answer is the same, so it tells a caller nothing (§2.2).
 */
export async function revokeToken(deps: RevocationDeps, client: Client, token: string): Promise<void> {
  if (looksLikeOpaqueToken(token)) {
    const found = await deps.store.findByToken(hashOpaqueToken(token));
    if (found && found.family.clientId === client.clientId) await deps.revokeLogin(found.family.id);
    return;
  }
  let claims;
  try {
    claims = await deps.accessTokens.verify(token, ANY_AUDIENCE);
  } catch {
    return;
  }
  if (claims.client_id !== client.clientId) return;
  if (claims.sid) {
    await deps.revokeLogin(claims.sid);
    return;
  }
  await deps.revocations.revokeSubject(claims.sub, new Date(claims.iat * 1000));
  await deps.caughtUp();
}
