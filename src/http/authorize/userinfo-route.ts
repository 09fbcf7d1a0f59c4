import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { profileClaims } from '../../domain/tokens/id-tokens.js';
import { parseScope } from '../../domain/tokens/scope.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { principalOf } from '../auth/plugin.js';

const userinfoSchema = {
  type: 'object',
  required: ['sub'],
  properties: { sub: { type: 'string' }, email: { type: 'string' }, email_verified: { type: 'boolean' } },
} as const;

/** OIDC Core §5.3: the claims of the access token's scopes, for the user it was issued for; Bearer only (§5.3.1). */
export async function userinfoRoute(app: FastifyInstance, { accounts, issuer }: { accounts: Accounts; issuer: string }) {
  const handler = async (request: FastifyRequest) => {
    const principal = principalOf(request);
    if (!principal.scope || !parseScope(principal.scope).includes('openid')) {
      throw new AppError('forbidden', 'The access token was not issued for OpenID Connect (no openid scope).', {
        headers: { 'www-authenticate': `Bearer realm="${issuer}", error="insufficient_scope", scope="openid"` },
      });
    }
    const user = await accounts.activeUser(principal.userId);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.', { headers: { 'www-authenticate': `Bearer realm="${issuer}", error="invalid_token"` } });
    return { sub: user.id, ...profileClaims(user, principal.scope) };
  };
  const route = { config: { auth: 'bearer' }, schema: { response: { 200: userinfoSchema } } } as const;
  app.get('/oauth/userinfo', route, handler);
  app.post('/oauth/userinfo', route, handler);
}
