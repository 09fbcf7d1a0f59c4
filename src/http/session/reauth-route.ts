import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../domain/clock.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { passwordSchema } from '../accounts/schemas.js';
import { principalOf } from '../auth/plugin.js';
import type { BrowserSessions } from './browser-sessions.js';

export interface ReauthRouteOptions {
  accounts: Accounts;
  sessions: BrowserSessions;
  clock: Clock;
  tokens: Pick<TokenServices, 'moveBrowserSessionLogins'>;
  /** ADMIN_REAUTH_SECONDS: how long the re-authentication counts. */
  windowSeconds: number;
}

/**
 * POST /v1/session/reauth: the signed-in user types the password again
 * before a sensitive action. The session gets a new id and CSRF token, as
 * after any privilege change (OWASP session management: renew the id when
 * the privilege level changes). Guessing is bounded by the account lockout
 * (Accounts.reauthenticate), as at login.
 */
export async function reauthRoute(app: FastifyInstance, options: ReauthRouteOptions) {
  const { accounts, sessions } = options;
  app.post<{ Body: { password: string } }>(
    '/v1/session/reauth',
    {
      config: { auth: 'session' },
      schema: {
        body: { type: 'object', required: ['password'], additionalProperties: false, properties: { password: passwordSchema } },
        response: {
          200: {
            type: 'object',
            required: ['reauthenticated_at', 'valid_until', 'csrf_token'],
            properties: {
              reauthenticated_at: { type: 'string', format: 'date-time' },
              valid_until: { type: 'string', format: 'date-time' },
              csrf_token: { type: 'string' },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await accounts.reauthenticate(principal.userId, request.body.password, { ip: request.ip });
      const now = options.clock.now();
      const session = await sessions.renew(request, { reauthenticatedAt: now });
      if (!session) throw new Error('a session principal without a session');
      await options.tokens.moveBrowserSessionLogins(principal.sid, session.publicId);
      reply.header('cache-control', 'no-store');
      return {
        reauthenticated_at: now.toISOString(),
        valid_until: new Date(now.getTime() + options.windowSeconds * 1000).toISOString(),
        csrf_token: session.csrfToken,
      };
    },
  );
}
