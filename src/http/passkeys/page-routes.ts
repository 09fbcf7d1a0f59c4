import type { FastifyInstance } from 'fastify';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { LOGIN_PAGE_CSP } from '../session/login-page.js';
import { renderPasskeysPage } from './account-page.js';

const PAGE = '/account/passkeys';

/** The passkeys page, server-rendered under the login page's CSP; signed out, it sends the browser to sign in first. */
export async function passkeyPageRoutes(app: FastifyInstance, options: { passkeys: Passkeys; accounts: Accounts; sessions: BrowserSessions }) {
  const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };
  app.get(PAGE, { config: { securityHeaders } }, async (request, reply) => {
    const session = options.sessions.current(request);
    const user = session?.userId ? await options.accounts.activeUser(session.userId) : undefined;
    if (!session || !user) return reply.code(303).header('location', `/login?return_to=${encodeURIComponent(PAGE)}`).send();
    const passkeys = await options.passkeys.list(user.id);
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPasskeysPage({ email: user.email, csrfToken: session.csrfToken, passkeys }));
  });
}
