import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Devices } from '../../domain/sessions/devices.js';
import type { AccountLifecycle } from '../../domain/users/account-lifecycle.js';
import { principalOf } from '../auth/plugin.js';
import { isFormPost } from '../auth/cross-site.js';
import { toAppError } from '../errors/to-app-error.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { PAGE_SECURITY_HEADERS as securityHeaders } from '../session/login-page.js';
import { messagePage, renderResetCompleteForm, renderResetRequestForm, renderVerifyEmailForm } from './lifecycle-pages.js';
import { emailRateLimit, type EmailRateSettings } from './rate-limits.js';
import { emailSchema, passwordSchema } from './schemas.js';

export interface LifecycleRoutesOptions {
  lifecycle: AccountLifecycle;
  devices: Devices;
  sessions: BrowserSessions;
  rates: EmailRateSettings;
}

const ACCEPTED = { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } } as const;
const csrfField = { type: 'string', maxLength: 256 } as const;
// Opaque tokens are 43 characters; anything longer is refused before it costs a lookup.
const tokenField = { type: 'string', minLength: 1, maxLength: 128 } as const;
const tokenQuery = { type: 'object', required: ['token'], properties: { token: tokenField } } as const;

const FORM_MESSAGES: Partial<Record<AppError['code'], string>> = {
  rate_limited: 'Too many attempts. Wait a minute, then try again.',
  csrf_failed: 'The form expired. Please try again.',
  validation_failed: 'Fill in the form, then try again.',
  bad_request: 'Fill in the form, then try again.',
};

/**
 * Password reset and email verification: the JSON endpoints, and the pages
 * the emailed links open (server-rendered like the login page, posting to
 * the same endpoints as forms, with the pre-login session's CSRF token).
 */
export async function lifecycleRoutes(app: FastifyInstance, options: LifecycleRoutesOptions) {
  const { lifecycle, sessions, rates } = options;
  const bodyEmail = (request: FastifyRequest) => String((request.body as { email?: unknown } | undefined)?.email ?? '');
  const limitReset = emailRateLimit(app, 'password-reset', rates, bodyEmail);
  const limitLink = emailRateLimit(app, 'mail-link', rates);
  const limitResend = emailRateLimit(app, 'verification', rates, (request) => principalOf(request).userId);
  const formRoute = { securityHeaders, sameOrigin: true, preSessionCsrf: true, startsSession: true };

  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
  const csrfOf = (request: FastifyRequest) => sessions.preLogin(request).csrfToken;

  // The form that was posted, shown again with the reason, rather than a JSON problem the browser would print raw.
  const forms: Record<string, (request: FastifyRequest, error: string) => string> = {
    '/v1/password-reset': (request, error) => renderResetRequestForm(csrfOf(request), error, bodyEmail(request).slice(0, 320)),
    '/v1/password-reset/complete': (request, error) => renderResetCompleteForm(csrfOf(request), bodyToken(request), error),
    '/v1/email-verification/complete': (request, error) => renderVerifyEmailForm(csrfOf(request), bodyToken(request), error),
  };
  app.setErrorHandler(async (error, request, reply) => {
    const form = forms[request.routeOptions.url ?? ''];
    if (!form || !isFormPost(request)) throw error;
    const appError = toAppError(error, false);
    if (appError.status >= 500) throw error;
    request.log.info({ errorCode: appError.code, reason: appError.message }, 'request rejected');
    if (appError.headers) reply.headers(appError.headers);
    return html(reply, appError.status, form(request, FORM_MESSAGES[appError.code] ?? appError.detail ?? 'That did not work.'));
  });

  app.get('/password-reset', { config: { securityHeaders, startsSession: true } }, async (request, reply) => html(reply, 200, renderResetRequestForm(csrfOf(request))));

  app.post<{ Body: { email: string; csrf_token?: string } }>(
    '/v1/password-reset',
    {
      config: formRoute,
      preHandler: async (request) => limitReset(request),
      schema: {
        body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: emailSchema, csrf_token: csrfField } },
        response: { 202: ACCEPTED },
      },
    },
    async (request, reply) => {
      await lifecycle.requestPasswordReset(request.body.email);
      const detail = 'If an account uses this address, a link to choose a new password is on its way. It expires soon: check your mail.';
      if (isFormPost(request)) return html(reply, 202, messagePage('Check your mail', detail));
      return reply.code(202).send({ detail });
    },
  );

  app.get<{ Querystring: { token: string } }>('/password-reset/complete', { config: { securityHeaders, startsSession: true }, schema: { querystring: tokenQuery } }, async (request, reply) =>
    html(reply, 200, renderResetCompleteForm(csrfOf(request), request.query.token)),
  );

  app.post<{ Body: { token: string; new_password: string; csrf_token?: string } }>(
    '/v1/password-reset/complete',
    {
      config: formRoute,
      preHandler: async (request) => limitLink(request),
      schema: {
        body: {
          type: 'object',
          required: ['token', 'new_password'],
          additionalProperties: false,
          properties: { token: tokenField, new_password: passwordSchema, csrf_token: csrfField },
        },
      },
    },
    async (request, reply) => {
      const user = await lifecycle.completePasswordReset(request.body.token, request.body.new_password, { ip: request.ip });
      // Whoever held the old password (or a session made with it) is out, everywhere, with the revocation feed told.
      await options.devices.revokeAll(user.id, 'password_changed');
      if (isFormPost(request)) return html(reply, 200, messagePage('Password changed', 'Your password was changed and every device was signed out. Sign in with the new password.'));
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { token: string } }>('/verify-email', { config: { securityHeaders, startsSession: true }, schema: { querystring: tokenQuery } }, async (request, reply) =>
    html(reply, 200, renderVerifyEmailForm(csrfOf(request), request.query.token)),
  );

  app.post<{ Body: { token: string; csrf_token?: string } }>(
    '/v1/email-verification/complete',
    {
      config: formRoute,
      preHandler: async (request) => limitLink(request),
      schema: { body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: tokenField, csrf_token: csrfField } } },
    },
    async (request, reply) => {
      await lifecycle.completeVerification(request.body.token);
      if (isFormPost(request)) return html(reply, 200, messagePage('Email address confirmed', 'Thank you: your email address is confirmed.'));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/email-verification',
    { config: { auth: 'session-or-bearer' }, preHandler: async (request) => limitResend(request), schema: { response: { 202: ACCEPTED } } },
    async (request, reply) => {
      await lifecycle.resendVerification(principalOf(request).userId);
      return reply.code(202).send({ detail: 'Unless your address is already confirmed, a new confirmation link is on its way.' });
    },
  );
}

function bodyToken(request: FastifyRequest): string {
  const token = (request.body as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' ? token.slice(0, 128) : '';
}
