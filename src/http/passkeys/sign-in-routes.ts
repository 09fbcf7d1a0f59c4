import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import { safeReturnTo } from '../../domain/sessions/return-to.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import { csrfTokenMatches } from '../auth/cross-site.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { DEFAULT_LANDING, sessionView, startBrowserSession } from '../session/sign-in.js';
import { ceremonyOptionsSchema, credentialResponseSchema, passkeySignInSchema } from './schemas.js';

export interface PasskeySignInOptions {
  passkeys: Passkeys;
  sessions: BrowserSessions;
  tokens: Pick<TokenServices, 'moveBrowserSessionLogins'>;
  issuer: string;
}

/**
 * The pre-login session the login page made, proven by its CSRF token: the
 * challenge lives with that session, and a cross-site page can neither read
 * the token nor send the header (login CSRF).
 */
function preLoginSessionOf(request: FastifyRequest, sessions: BrowserSessions) {
  const session = sessions.current(request);
  if (!session || !csrfTokenMatches(request.headers['x-csrf-token'], session.csrfToken)) {
    throw new AppError('csrf_failed', 'Load the sign-in page again: this request lacks its session or CSRF token.');
  }
  return session;
}

/** Signing in with a passkey as the first factor: the browser offers the discoverable credentials it holds for this site. */
export async function passkeySignInRoutes(app: FastifyInstance, options: PasskeySignInOptions) {
  const { passkeys, sessions } = options;
  const config = { sameOrigin: true } as const;

  app.post(
    '/v1/session/passkey/options',
    { config, schema: { body: { type: 'object', additionalProperties: false }, response: { 200: ceremonyOptionsSchema } } },
    async (request, reply) => {
      const session = preLoginSessionOf(request, sessions);
      reply.header('cache-control', 'no-store');
      return passkeys.signInOptions(session.publicId);
    },
  );

  app.post<{ Body: { response: Record<string, unknown>; return_to?: string } }>(
    '/v1/session/passkey',
    {
      config,
      schema: {
        body: {
          type: 'object',
          required: ['response'],
          additionalProperties: false,
          properties: { response: credentialResponseSchema, return_to: { type: 'string', maxLength: 2048 } },
        },
        response: { 200: passkeySignInSchema },
      },
    },
    async (request, reply) => {
      const preLogin = preLoginSessionOf(request, sessions);
      const { user } = await passkeys.signIn(preLogin.publicId, request.body.response, { ip: request.ip });
      const session = await startBrowserSession(request, options, user.id);
      reply.header('cache-control', 'no-store');
      return { ...sessionView(user, session, sessions.lifetimes), location: safeReturnTo(request.body.return_to, options.issuer) ?? DEFAULT_LANDING };
    },
  );
}
