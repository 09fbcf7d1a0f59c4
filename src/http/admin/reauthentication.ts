import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../domain/clock.js';
import { AppError } from '../../domain/errors.js';
import { lastAuthenticatedAt } from '../../domain/sessions/browser-session.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import { principalOf } from '../auth/plugin.js';
import type { BrowserSessions } from '../session/browser-sessions.js';

export interface ReauthenticationOptions {
  sessions: BrowserSessions;
  tokens: Pick<TokenServices, 'listUserLogins'>;
  clock: Clock;
  /** ADMIN_REAUTH_SECONDS. */
  windowSeconds: number;
}

/**
 * Step-up for sensitive admin actions (OWASP ASVS V4.3.3): a session must
 * have re-entered the password (POST /v1/session/reauth) or signed in within
 * the window; a Bearer token's login (its refresh family) must have been
 * authenticated within it, which refreshing does not move, so a long-lived
 * app login cannot disable users on a stolen token. The answer otherwise is
 * 403 `reauthentication_required`.
 */
export function requireRecentAuthentication(options: ReauthenticationOptions) {
  const authenticatedAt = async (request: FastifyRequest): Promise<Date | undefined> => {
    const principal = principalOf(request);
    if (principal.method === 'session') {
      const session = options.sessions.current(request);
      return session ? lastAuthenticatedAt(session) : undefined;
    }
    const login = (await options.tokens.listUserLogins(principal.userId)).find((family) => family.id === principal.sid);
    return login ? (login.authTime ?? login.createdAt) : undefined;
  };

  return async (request: FastifyRequest): Promise<void> => {
    const at = await authenticatedAt(request);
    if (at && options.clock.now().getTime() - at.getTime() <= options.windowSeconds * 1000) return;
    throw new AppError(
      'reauthentication_required',
      principalOf(request).method === 'session'
        ? 'Confirm your password first (POST /v1/session/reauth), then repeat the request.'
        : 'This needs a fresh login: sign in again for a new access token, then repeat the request.',
    );
  };
}
