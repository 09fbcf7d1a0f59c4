import type { FastifyRequest } from 'fastify';
import { idleExpiresAt, type BrowserSession, type SessionLifetimes } from '../../domain/sessions/browser-session.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { UserView } from '../../domain/users/user.js';
import { sessionAuthentication } from '../mfa/session-view.js';
import type { BrowserSessions } from './browser-sessions.js';

/** Where a browser lands after signing in when the request named no safe `return_to`. */
export const DEFAULT_LANDING = '/account';

/** The body of `GET /v1/session` and of every successful sign-in (sessionSchema). */
export const sessionView = (user: UserView, session: BrowserSession, lifetimes: SessionLifetimes) => ({
  user: { id: user.id, email: user.email, roles: user.roles },
  created_at: session.createdAt.toISOString(),
  expires_at: session.expiresAt.toISOString(),
  idle_expires_at: idleExpiresAt(session, lifetimes).toISOString(),
  csrf_token: session.csrfToken,
  ...sessionAuthentication(session),
});

/**
 * What every way of signing a browser in does once the user is known (the
 * password, a second factor, a passkey): a fresh session id carrying how the
 * user signed in (RFC 8176 `amr`), and a browser that signs in again
 * (prompt=login, max_age) keeps what it authorized, which now ends with the
 * new session.
 */
export async function startBrowserSession(
  request: FastifyRequest,
  deps: { sessions: BrowserSessions; tokens: Pick<TokenServices, 'moveBrowserSessionLogins'> },
  user: Pick<UserView, 'id' | 'roles'>,
  amr: readonly string[],
): Promise<BrowserSession> {
  const previous = deps.sessions.current(request);
  // The roles decide the session's absolute lifetime (ADMIN_SESSION_ABSOLUTE_SECONDS).
  const session = await deps.sessions.signIn(request, user.id, amr, user.roles);
  if (previous?.userId === user.id) await deps.tokens.moveBrowserSessionLogins(previous.publicId, session.publicId);
  return session;
}
