import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizeOutcome, Authorization, SignedInSession } from '../../domain/authorization/authorize.js';
import { AppError, isAppError } from '../../domain/errors.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { authenticationOf } from '../../domain/sessions/browser-session.js';
import { principalOf } from '../auth/plugin.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { LOGIN_PAGE_CSP } from '../session/login-page.js';
import { renderAuthorizationError, renderConsent, renderContinue } from './pages.js';

export interface AuthorizeRoutesOptions {
  authorization: Authorization;
  accounts: Accounts;
  sessions: BrowserSessions;
}

type Parameters = Record<string, string | undefined>;

// Parameters are single strings (RFC 6749 §3.1: a repeated parameter is an error); unknown ones are ignored (§3.1).
const authorizationParameters = { type: 'object', additionalProperties: { type: 'string' } } as const;
const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'no-referrer' as const } };

/**
 * The browser side of the authorization-code flow: the authorization endpoint
 * (GET, and POST as OIDC Core §3.1.2.1 allows), its continuation after the
 * login page, and the consent form's answer.
 */
export async function authorizeRoutes(app: FastifyInstance, { authorization, accounts, sessions }: AuthorizeRoutesOptions) {
  const signedIn = async (request: FastifyRequest): Promise<SignedInSession | undefined> => {
    const session = sessions.current(request);
    if (!session?.userId || !(await accounts.activeUser(session.userId))) return undefined;
    // Recorded at sign-in (docs/mfa.md): the password, and the second factor when there was one.
    return { userId: session.userId, sessionId: session.publicId, ...authenticationOf(session) };
  };

  const answer = async (request: FastifyRequest, reply: FastifyReply, decide: () => Promise<AuthorizeOutcome>, afterLoginForm = false) => {
    reply.header('cache-control', 'no-store');
    let outcome: AuthorizeOutcome;
    try {
      outcome = await decide();
    } catch (error) {
      if (isAppError(error) && error.code === 'bad_request') {
        return reply.code(400).type('text/html; charset=utf-8').send(renderAuthorizationError(error.detail ?? 'The request is invalid.'));
      }
      throw error;
    }
    if (outcome.kind === 'redirect') {
      if (afterLoginForm) return reply.type('text/html; charset=utf-8').send(renderContinue(outcome.location));
      return reply.code(303).header('location', outcome.location).send();
    }
    if (outcome.kind === 'login') {
      const login = new URLSearchParams({ return_to: `/oauth/authorize/resume?request_id=${outcome.requestId}` });
      // Signed in, yet sent to sign in: the request wants a fresh authentication (prompt=login, max_age).
      if (sessions.current(request)?.userId) login.set('prompt', 'login');
      if (outcome.loginHint) login.set('login_hint', outcome.loginHint.slice(0, 320));
      return reply.code(303).header('location', `/login?${login}`).send();
    }
    const session = sessions.current(request);
    const user = session?.userId ? await accounts.activeUser(session.userId) : undefined;
    if (!session || !user) throw new AppError('unauthenticated', 'Sign in first.');
    // Browsers apply form-action to the redirects that follow a form post too, so the page allows the client's redirect target.
    const csp = String(reply.getHeader('content-security-policy') ?? '').replace("form-action 'self'", `form-action 'self' ${formActionSource(outcome.redirectUri)}`);
    return reply
      .header('content-security-policy', csp)
      .type('text/html; charset=utf-8')
      .send(renderConsent({ clientId: outcome.client.clientId, scopes: outcome.scopes, requestId: outcome.requestId, csrfToken: session.csrfToken, email: user.email }));
  };

  app.get<{ Querystring: Parameters }>('/oauth/authorize', { config: { securityHeaders }, schema: { querystring: authorizationParameters } }, async (request, reply) =>
    answer(request, reply, async () => authorization.start(request.query, await signedIn(request))),
  );

  app.post<{ Body: Parameters }>('/oauth/authorize', { config: { securityHeaders }, schema: { body: authorizationParameters } }, async (request, reply) =>
    answer(request, reply, async () => authorization.start(request.body, await signedIn(request))),
  );

  app.get<{ Querystring: { request_id: string } }>(
    '/oauth/authorize/resume',
    { config: { securityHeaders }, schema: { querystring: { type: 'object', required: ['request_id'], properties: { request_id: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => answer(request, reply, async () => authorization.resume(request.query.request_id, await signedIn(request)), true),
  );

  app.post<{ Body: { request_id: string; decision: 'allow' | 'deny' } }>(
    '/oauth/authorize/decision',
    {
      // A session form post: the hook refuses it cross-site or without the session's CSRF token.
      config: { securityHeaders, auth: 'session' },
      schema: {
        body: {
          type: 'object',
          required: ['request_id', 'decision', 'csrf_token'],
          properties: { request_id: { type: 'string', maxLength: 64 }, decision: { enum: ['allow', 'deny'] }, csrf_token: { type: 'string', maxLength: 256 } },
        },
      },
    },
    async (request, reply) =>
      answer(request, reply, async () => {
        const session = await signedIn(request);
        if (!session || session.userId !== principalOf(request).userId) throw new AppError('unauthenticated', 'Sign in first.');
        return authorization.decide(request.body.request_id, session, request.body.decision === 'allow');
      }),
  );
}

/** A CSP source for a redirect URI: its origin, or for a private-use scheme (RFC 8252 §7.1) the scheme. */
function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin !== 'null' ? url.origin : url.protocol;
}
