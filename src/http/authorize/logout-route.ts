import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { ClientRegistry } from '../../domain/clients/client.js';
import type { Clock } from '../../domain/clock.js';
import type { IdTokens } from '../../domain/tokens/id-tokens.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { LOGIN_PAGE_CSP, renderSignedOut } from '../session/login-page.js';
import { renderAuthorizationError, renderLogoutConfirmation } from './pages.js';

export interface LogoutRouteOptions {
  idTokens: IdTokens;
  tokens: TokenServices;
  sessions: BrowserSessions;
  clients: ClientRegistry;
  audit: AuditLog;
  clock: Clock;
}

interface LogoutQuery {
  id_token_hint?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  client_id?: string;
}

const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'no-referrer' as const } };
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

/**
 * OpenID Connect RP-Initiated Logout 1.0, at the `end_session_endpoint`. With
 * an `id_token_hint` for the signed-in user it ends the browser session, the
 * logins it authorized and the hinted login, then returns to an exactly
 * registered `post_logout_redirect_uri`. Without one, the user confirms
 * first (§2: a bare link from anywhere must not sign anyone out).
 */
export async function logoutRoute(app: FastifyInstance, options: LogoutRouteOptions) {
  const { idTokens, tokens, sessions, clients } = options;
  app.get<{ Querystring: LogoutQuery }>(
    '/oauth/logout',
    {
      config: { securityHeaders },
      schema: {
        querystring: {
          type: 'object',
          properties: { id_token_hint: text(8192), post_logout_redirect_uri: text(2048), state: text(2048), client_id: text(128) },
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
      const refuse = (message: string) => reply.code(400).send(renderAuthorizationError(message));
      const { id_token_hint: hintToken, post_logout_redirect_uri: redirectUri, state, client_id: clientId } = request.query;
      const hint = hintToken ? await idTokens.verifyHint(hintToken) : undefined;
      if (hintToken && !hint) return refuse('The application sent an ID token this service did not issue.');
      if (hint && clientId && hint.aud !== clientId) return refuse('client_id does not match the ID token.');
      const client = clients.find(hint?.aud ?? clientId ?? '');
      if (redirectUri !== undefined && !client?.postLogoutRedirectUris.includes(redirectUri)) {
        return refuse('The application asked to return to an address it has not registered.');
      }

      const session = sessions.current(request);
      if (session?.userId && (!hint || hint.sub !== session.userId)) return reply.send(renderLogoutConfirmation(session.csrfToken));
      if (hint?.sid) await tokens.revokeLogin(hint.sid, 'logout');
      if (session?.userId) {
        await tokens.revokeBrowserSessionLogins(session.publicId, 'logout');
        await sessions.end(request, reply);
        await options.audit.record({ type: 'logout', userId: session.userId, ip: request.ip, detail: { session: session.publicId, client: client?.clientId ?? null }, at: options.clock.now() });
      }
      if (redirectUri === undefined) return reply.send(renderSignedOut());
      const target = new URL(redirectUri);
      if (state !== undefined) target.searchParams.set('state', state);
      return reply.code(303).header('location', target.href).send();
    },
  );
}
