import type { AccessTokens } from '../access-tokens.js';
import { grantScope } from '../scope.js';
import { tokenTypeFor } from '../token-response.js';
import type { Grant } from './grant.js';

/**
 * RFC 6749 §4.4: a confidential client acting for itself. No refresh token
 * (§4.4.3): the client can always ask again.
 */
export const clientCredentialsGrant =
  (accessTokens: AccessTokens): Grant =>
  async ({ client, params, dpopJkt }) => {
    const scope = grantScope(params.scope, client.scopes);
    const { token } = await accessTokens.issue({ sub: client.clientId, aud: client.audience, clientId: client.clientId, scope, ...(dpopJkt ? { jkt: dpopJkt } : {}) });
    return { access_token: token, token_type: tokenTypeFor(dpopJkt), expires_in: accessTokens.ttlSeconds, scope };
  };
