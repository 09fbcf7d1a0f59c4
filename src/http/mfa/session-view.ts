import { authenticationOf, type BrowserSession } from '../../domain/sessions/browser-session.js';

/** What GET /v1/session tells of how the user signed in (RFC 8176 `amr`, OIDC `auth_time` in seconds). */
export function sessionAuthentication(session: BrowserSession): { amr: readonly string[]; auth_time: number } | Record<string, never> {
  if (!session.userId) return {};
  const { amr, authTime } = authenticationOf(session);
  return { amr, auth_time: Math.floor(authTime.getTime() / 1000) };
}
