import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../domain/audit.js';
import type { Clock } from '../../domain/clock.js';
import { AppError } from '../../domain/errors.js';
import type { BrowserSession } from '../../domain/sessions/browser-session.js';
import { safeReturnTo } from '../../domain/sessions/return-to.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { UserView } from '../../domain/users/user.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { emailSchema, passwordSchema, sessionSchema } from '../accounts/schemas.js';
import { activeUserOf, principalOf } from '../auth/plugin.js';
import { isFormPost } from '../auth/cross-site.js';
import { toAppError } from '../errors/to-app-error.js';
import type { BrowserSessions } from './browser-sessions.js';
import { LOGIN_PAGE_CSP, renderLoginForm, renderSignedIn, renderSignedOut } from './login-page.js';
import { BROWSER_LOGIN, type MfaLoginStep } from '../../domain/mfa/login-step.js';
import { beginBrowserMfaStep, browserMfaRoutes, type FinishSignIn } from '../mfa/browser-login-routes.js';
import { DEFAULT_LANDING, sessionView, startBrowserSession } from './sign-in.js';

export interface SessionRoutesOptions {
  accounts: Accounts;
  sessions: BrowserSessions;
  audit: AuditLog;
  clock: Clock;
  issuer: string;
  limitLogin: RateLimit;
  tokens: Pick<TokenServices, 'revokeBrowserSessionLogins' | 'moveBrowserSessionLogins'>;
  /** The second factor (docs/mfa.md): its login step, and the limiter of its code routes. */
  mfa: { loginStep: MfaLoginStep; limitCodes: RateLimit };
}

interface LoginBody {
  email: string;
  password: string;
  csrf_token?: string;
  return_to?: string;
}

const FORM_MESSAGES: Partial<Record<AppError['code'], string>> = {
  invalid_credentials: 'The email or password is incorrect. After several failed attempts, signing in is paused for a few minutes.',
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
  csrf_failed: 'The form expired. Please sign in again.',
  validation_failed: 'Enter your email and password.',
  bad_request: 'Enter your email and password.',
};

/** Browser sessions: sign in (JSON or the login form), read, sign out; and the login page itself. */
export async function sessionRoutes(app: FastifyInstance, options: SessionRoutesOptions) {
  const { accounts, sessions, limitLogin } = options;
  // `same-origin`, not helmet's `no-referrer`: under no-referrer browsers send `Origin: null` on the form post,
  // which the cross-site check must refuse; other sites still learn nothing.
  const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };

  const view = (user: UserView, session: BrowserSession) => sessionView(user, session, sessions.lifetimes);

  const loginForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { returnTo?: string | undefined; email?: string | undefined; error?: string | undefined },
  ) => {
    const session = sessions.preLogin(request);
    return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderLoginForm({ csrfToken: session.csrfToken, ...extra }));
  };

  // A failed form login shows the form again, with the reason, rather than a JSON problem the browser would print raw.
  app.setErrorHandler(async (error, request, reply) => {
    if (request.routeOptions.url !== '/v1/session' || request.method !== 'POST' || !isFormPost(request)) throw error;
    const appError = toAppError(error, false);
    if (appError.status >= 500) throw error;
    request.log.info({ errorCode: appError.code, reason: appError.message }, 'request rejected');
    if (appError.headers) reply.headers(appError.headers);
    const body = (request.body ?? {}) as Partial<LoginBody>;
    return loginForm(request, reply, appError.status, {
      returnTo: safeReturnTo(body.return_to, options.issuer),
      email: typeof body.email === 'string' ? body.email.slice(0, 320) : undefined,
      error: FORM_MESSAGES[appError.code] ?? appError.detail ?? 'Signing in failed.',
    });
  });

  app.get<{ Querystring: { return_to?: string; login_hint?: string; prompt?: 'login' } }>(
    '/login',
    {
      config: { securityHeaders, startsSession: true },
      schema: {
        querystring: {
          type: 'object',
          properties: { return_to: { type: 'string', maxLength: 2048 }, login_hint: { type: 'string', maxLength: 320 }, prompt: { const: 'login' } },
        },
      },
    },
    async (request, reply) => {
      const returnTo = safeReturnTo(request.query.return_to, options.issuer);
      const current = sessions.current(request);
      const user = current?.userId ? await accounts.activeUser(current.userId) : undefined;
      // prompt=login: an application asked for a fresh sign-in (OIDC prompt=login, max_age), so the form shows even when signed in.
      if (user && current && request.query.prompt !== 'login') {
        if (returnTo) return reply.code(303).header('location', returnTo).send();
        return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderSignedIn(user.email, current.csrfToken));
      }
      return loginForm(request, reply, 200, { returnTo, email: request.query.login_hint });
    },
  );

  app.post<{ Body: LoginBody }>(
    '/v1/session',
    {
      config: { securityHeaders, sameOrigin: true, preSessionCsrf: true, startsSession: true },
      preHandler: async (request) => limitLogin(request),
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          additionalProperties: false,
          properties: { email: emailSchema, password: passwordSchema, csrf_token: { type: 'string', maxLength: 256 }, return_to: { type: 'string', maxLength: 2048 } },
        },
        response: { 200: sessionSchema },
      },
    },
    async (request, reply) => {
      const user = await accounts.checkCredentials(request.body.email, request.body.password, { ip: request.ip });
      const step = await options.mfa.loginStep.afterPassword(user.id, BROWSER_LOGIN);
      if (step.kind === 'mfa_required') return beginBrowserMfaStep(request, reply, sessions, step, safeReturnTo(request.body.return_to, options.issuer));
      return finishSignIn(request, reply, user, step.amr, request.body.return_to);
    },
  );

  const finishSignIn: FinishSignIn = async (request, reply, user, amr, returnTo) => {
    const session = await startBrowserSession(request, options, user, amr);
    reply.header('cache-control', 'no-store');
    if (isFormPost(request)) {
      // 303: the browser follows with a GET, so a reload never re-posts the password.
      return reply.code(303).header('location', safeReturnTo(returnTo, options.issuer) ?? DEFAULT_LANDING).send();
    }
    return reply.send(view(user, session));
  };
  await app.register(browserMfaRoutes, { accounts, sessions, loginStep: options.mfa.loginStep, limitCodes: options.mfa.limitCodes, issuer: options.issuer, finishSignIn });

  app.get('/v1/session', { config: { auth: 'session' }, schema: { response: { 200: sessionSchema } } }, async (request) => {
    const session = sessions.current(request);
    const user = await activeUserOf(request, accounts);
    if (!session || !user) throw new AppError('unauthenticated', 'Sign in first.');
    return view(user, session);
  });

  const signOut = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request);
    await sessions.end(request, reply);
    // The logins an application obtained through this session (authorization code) end with it.
    await options.tokens.revokeBrowserSessionLogins(principal.sid, 'logout');
    await options.audit.record({ type: 'logout', userId: principal.userId, ip: request.ip, detail: { session: principal.sid }, at: options.clock.now() });
  };

  app.delete('/v1/session', { config: { auth: 'session' } }, async (request, reply) => {
    await signOut(request, reply);
    return reply.code(204).send();
  });

  // The login page's sign-out button: a form cannot send DELETE or headers, so it posts its CSRF token as a field.
  app.post(
    '/logout',
    {
      config: { securityHeaders, auth: 'session' },
      schema: { body: { type: 'object', required: ['csrf_token'], properties: { csrf_token: { type: 'string', maxLength: 256 } } } },
    },
    async (request, reply) => {
      await signOut(request, reply);
      // The session is gone, so the form (whose token needs one) is a link away.
      return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderSignedOut());
    },
  );
}
