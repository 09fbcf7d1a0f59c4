import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { mfaRequired, type MfaLoginStep, type PasswordStepOutcome } from '../../domain/mfa/login-step.js';
import { safeReturnTo } from '../../domain/sessions/return-to.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { viewOf, type UserView } from '../../domain/users/user.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { sessionSchema } from '../accounts/schemas.js';
import { isFormPost } from '../auth/cross-site.js';
import { toAppError } from '../errors/to-app-error.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { LOGIN_PAGE_CSP } from '../session/login-page.js';
import { renderMfaForm } from './pages.js';
import { codeSchema } from './schemas.js';

/** What the session routes do once the user is known: a fresh signed-in session, then the JSON view or the redirect. */
export type FinishSignIn = (request: FastifyRequest, reply: FastifyReply, user: UserView, amr: readonly string[], returnTo: string | undefined) => Promise<unknown>;

export interface BrowserMfaRoutesOptions {
  accounts: Accounts;
  sessions: BrowserSessions;
  loginStep: MfaLoginStep;
  limitCodes: RateLimit;
  issuer: string;
  finishSignIn: FinishSignIn;
}

interface MfaBody {
  code: string;
  csrf_token?: string;
  return_to?: string;
}

const FORM_MESSAGES: Partial<Record<AppError['code'], string>> = {
  invalid_mfa_code: 'The code is incorrect or was already used. After several failed attempts, signing in is paused for a few minutes.',
  mfa_expired: 'This sign-in has expired. Start again.',
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
  csrf_failed: 'The form expired. Please sign in again.',
  validation_failed: 'Enter the code.',
};

const mfaPage = (returnTo: string | undefined) => `/login/mfa${returnTo ? `?${new URLSearchParams({ return_to: returnTo })}` : ''}`;

/**
 * After a correct password for an account with a second factor: the session
 * (not signed in) remembers the pending step; a form is sent on to the code
 * page (303), a JSON caller gets 401 `mfa_required`.
 */
export function beginBrowserMfaStep(request: FastifyRequest, reply: FastifyReply, sessions: BrowserSessions, step: Extract<PasswordStepOutcome, { kind: 'mfa_required' }>, returnTo: string | undefined) {
  sessions.markMfaPending(request, step.token);
  reply.header('cache-control', 'no-store');
  if (isFormPost(request)) return reply.code(303).header('location', mfaPage(returnTo)).send();
  throw mfaRequired(step, 'session');
}

/** The browser's second login step: the code page and its form post (JSON too). */
export async function browserMfaRoutes(app: FastifyInstance, options: BrowserMfaRoutesOptions) {
  const { sessions } = options;
  const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };
  const form = (request: FastifyRequest, reply: FastifyReply, status: number, returnTo: string | undefined, error?: string) => {
    const session = sessions.preLogin(request);
    return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderMfaForm({ csrfToken: session.csrfToken, returnTo, error }));
  };

  // A failed form post shows the code page again with the reason, as the login form does.
  app.setErrorHandler(async (error, request, reply) => {
    if (request.routeOptions.url !== '/v1/session/mfa' || !isFormPost(request)) throw error;
    const appError = toAppError(error, false);
    if (appError.status >= 500) throw error;
    request.log.info({ errorCode: appError.code, reason: appError.message }, 'request rejected');
    if (appError.headers) reply.headers(appError.headers);
    const returnTo = safeReturnTo((request.body as Partial<MfaBody> | undefined)?.return_to, options.issuer);
    return form(request, reply, appError.status, returnTo, FORM_MESSAGES[appError.code] ?? appError.detail ?? 'Verification failed.');
  });

  app.get<{ Querystring: { return_to?: string } }>(
    '/login/mfa',
    { config: { securityHeaders, startsSession: true }, schema: { querystring: { type: 'object', properties: { return_to: { type: 'string', maxLength: 2048 } } } } },
    async (request, reply) => {
      const returnTo = safeReturnTo(request.query.return_to, options.issuer);
      // No pending step (expired session, or a bookmark): the sign-in starts over.
      if (!sessions.current(request)?.mfaPending) return reply.code(303).header('location', `/login${returnTo ? `?${new URLSearchParams({ return_to: returnTo })}` : ''}`).send();
      return form(request, reply, 200, returnTo);
    },
  );

  app.post<{ Body: MfaBody }>(
    '/v1/session/mfa',
    {
      config: { securityHeaders, sameOrigin: true, preSessionCsrf: true, startsSession: true },
      preHandler: async (request) => options.limitCodes(request),
      schema: {
        body: {
          type: 'object',
          required: ['code'],
          additionalProperties: false,
          properties: { code: codeSchema, csrf_token: { type: 'string', maxLength: 256 }, return_to: { type: 'string', maxLength: 2048 } },
        },
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      const pending = sessions.current(request)?.mfaPending;
      if (!pending) throw new AppError('mfa_expired', 'There is no sign-in waiting for a code. Sign in again.');
      const done = await options.loginStep.complete(pending, request.body.code, null, 'browser', { ip: request.ip });
      const user = await options.accounts.activeUser(done.userId);
      if (!user) throw new AppError('mfa_expired', 'This sign-in can no longer be completed. Sign in again.');
      return options.finishSignIn(request, reply, viewOf(user), done.amr, request.body.return_to);
    },
  );
}
