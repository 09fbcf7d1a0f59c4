import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { TotpFactor } from '../../domain/mfa/totp-factor.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { activeUserOf, principalOf } from '../auth/plugin.js';
import { toAppError } from '../errors/to-app-error.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { LOGIN_PAGE_CSP } from '../session/login-page.js';
import { qrCodeSvg } from './qr-code.js';
import { renderEnrolPage, renderRecoveryCodes, renderSecurityPage } from './pages.js';
import { codeSchema } from './schemas.js';

export interface SecurityPageRoutesOptions {
  accounts: Accounts;
  sessions: BrowserSessions;
  totp: TotpFactor;
  limitCodes: RateLimit;
}

const PAGE = '/account/security';

const FORM_MESSAGES: Partial<Record<AppError['code'], string>> = {
  wrong_mfa_code: 'The code is incorrect or was already used. Wait for the next code and try again.',
  conflict: 'That is no longer possible: the page was out of date.',
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
  csrf_failed: 'The form expired. Please try again.',
  validation_failed: 'Enter the code.',
};

/**
 * The browser's account security page: server-rendered forms over the same
 * use-cases as /v1/me/mfa, with the login page's CSP. A form cannot send
 * headers, so each carries the session's CSRF token as a `csrf_token` field
 * (the auth hook accepts it there), as the logout button does.
 */
export async function securityPageRoutes(app: FastifyInstance, { accounts, sessions, totp, limitCodes }: SecurityPageRoutesOptions) {
  const securityHeaders = { contentSecurityPolicy: LOGIN_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  const statusPage = async (request: FastifyRequest, reply: FastifyReply, status: number, messages: { error?: string; notice?: string } = {}) => {
    const session = sessions.current(request);
    const user = session?.userId ? await accounts.activeUser(session.userId) : undefined;
    if (!session || !user) return reply.code(303).header('location', `/login?${new URLSearchParams({ return_to: PAGE })}`).send();
    const state = await totp.status(user.id);
    return html(reply, status, renderSecurityPage({ csrfToken: session.csrfToken, email: user.email, totp: state.totp, recoveryCodesRemaining: state.recoveryCodesRemaining, ...messages }));
  };

  // A failed form post shows the page again with the reason, rather than a JSON problem the browser would print raw.
  app.setErrorHandler(async (error, request, reply) => {
    const appError = toAppError(error, false);
    if (appError.status >= 500 || appError.code === 'unauthenticated') throw error;
    request.log.info({ errorCode: appError.code, reason: appError.message }, 'request rejected');
    if (appError.headers) reply.headers(appError.headers);
    return statusPage(request, reply, appError.status, { error: FORM_MESSAGES[appError.code] ?? appError.detail ?? 'That did not work.' });
  });

  app.get(PAGE, { config: { securityHeaders } }, async (request, reply) => statusPage(request, reply, 200));

  const form = { config: { securityHeaders, auth: 'session' as const } };
  const csrfOnly = { type: 'object', required: ['csrf_token'], properties: { csrf_token: { type: 'string', maxLength: 256 } } } as const;
  const withCode = {
    config: form.config,
    preHandler: async (request: FastifyRequest) => limitCodes(request),
    schema: { body: { type: 'object', required: ['csrf_token', 'code'], properties: { csrf_token: { type: 'string', maxLength: 256 }, code: codeSchema } } },
  };
  const context = (request: FastifyRequest) => ({ ip: request.ip });

  app.post(`${PAGE}/totp`, { ...form, schema: { body: csrfOnly } }, async (request, reply) => {
    const user = await activeUserOf(request, accounts);
    if (!user) throw new AppError('unauthenticated', 'Sign in first.');
    const enrolment = await totp.start(user);
    return html(reply, 200, renderEnrolPage({ csrfToken: sessions.current(request)!.csrfToken, qrSvg: await qrCodeSvg(enrolment.uri), secret: enrolment.secret }));
  });

  app.post<{ Body: { code: string } }>(`${PAGE}/totp/confirm`, withCode, async (request, reply) =>
    html(reply, 200, renderRecoveryCodes(await totp.confirm(principalOf(request).userId, request.body.code, context(request)))),
  );

  app.post<{ Body: { code: string } }>(`${PAGE}/recovery-codes`, withCode, async (request, reply) =>
    html(reply, 200, renderRecoveryCodes(await totp.regenerateRecoveryCodes(principalOf(request).userId, request.body.code, context(request)))),
  );

  app.post<{ Body: { code: string } }>(`${PAGE}/totp/remove`, withCode, async (request, reply) => {
    await totp.remove(principalOf(request).userId, request.body.code, context(request));
    return statusPage(request, reply, 200, { notice: 'The authenticator was removed. Your password alone signs you in again.' });
  });
}
