import type { Client } from '../clients/client.js';
import type { Clock } from '../clock.js';
import { ANY_AUDIENCE, type AccessTokens } from './access-tokens.js';
import type { AccessTokenDenylist } from './access-token-denylist.js';
import { hashOpaqueToken, looksLikeOpaqueToken } from './opaque-token.js';
import type { RefreshStore } from './refresh-store.js';

export interface RevocationDeps {
  readonly accessTokens: AccessTokens;
  readonly store: RefreshStore;
  readonly denylist: AccessTokenDenylist;
  readonly clock: Clock;
  readonly revokeLogin: (sid: string) => Promise<boolean>;
}

/**
 * RFC 7009 §2.1. A refresh token takes its whole family with it; an access
 * token takes its login (`sid`) family, or just itself when it has none.
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
  if (claims.sid) await deps.revokeLogin(claims.sid);
  else await deps.denylist.add(claims.jti, new Date(claims.exp * 1000), deps.clock.now());
}

