import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Consents } from '../../domain/authorization/consents.js';
import { AppError } from '../../domain/errors.js';
import { passwordSchema } from '../accounts/schemas.js';
import { principalOf } from '../auth/plugin.js';
import { toAppError } from '../errors/to-app-error.js';
import { SelfService, type SelfServiceDeps } from '../me/self-service.js';
import { ACCOUNT_PAGE_CSP, renderAccount } from './page.js';

export interface AccountRoutesOptions extends SelfServiceDeps {
  consents: Consents;
}

const SIGN_IN = '/login?return_to=/account';

/**
 * What `?done=` may say after an action: fixed messages, so the page never
 * shows text a link could choose.
 */
const NOTICES = new Map([
  ['device_ended', 'That device is signed out.'],
  ['password_changed', 'Your password is changed. Every other device was signed out.'],
  ['consent_revoked', 'That application no longer has access, and its sign-ins have ended.'],
]);
type Done = 'device_ended' | 'password_changed' | 'consent_revoked';

const FORM_MESSAGES: Partial<Record<AppError['code'], string>> = {
  csrf_failed: 'This form expired or came from another site, so nothing was changed. Try again.',
  wrong_password: 'The current password is incorrect, so the password was not changed.',
  not_found: 'That device or application was already signed out.',
  validation_failed: 'Part of the form was missing or invalid, so nothing was changed.',
  bad_request: 'Part of the form was missing or invalid, so nothing was changed.',
};

const PASSWORDS_DIFFER = 'The new password and its confirmation differ, so the password was not changed.';

const messageOf = (error: AppError): string => {
  // The policy's messages are written to be shown as they are ("password must be at least 12 characters.").
  if (error.code === 'weak_password' && error.detail) return `The new ${error.detail}`;
  return FORM_MESSAGES[error.code] ?? error.detail ?? 'That did not work, so nothing was changed.';
};

const csrfField = { csrf_token: { type: 'string', maxLength: 256 } } as const;
// csrf_token is not `required`: a form without it must reach the CSRF check (403), not schema validation (400).
const formBody = (required: string[], properties: Record<string, object>) => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties: { ...csrfField, ...properties },
});

/**
 * The account page (`/account`) and its forms: server-rendered like the login
 * page, on the browser session only. Every form posts the session's CSRF
 * token as `csrf_token` and is refused cross-site by the authentication hook;
 * each action answers 303 back to the page (or to the login page once signed
 * out), and a refused one shows the page again with the reason.
 */
export async function accountPageRoutes(app: FastifyInstance, options: AccountRoutesOptions) {
  const { accounts, sessions, devices, consents } = options;
  const self = new SelfService(options);
  // `same-origin` referrers, as on the login page: under no-referrer browsers send `Origin: null` on form posts.
  const securityHeaders = { contentSecurityPolicy: ACCOUNT_PAGE_CSP, referrerPolicy: { policy: 'same-origin' as const } };
  const config = { securityHeaders, auth: 'session' } as const;

  const see = (reply: FastifyReply, location: string) => reply.code(303).header('cache-control', 'no-store').header('location', location).send();
  const backWith = (reply: FastifyReply, done: Done) => see(reply, `/account?done=${done}`);

  /** The page for the request's signed-in session, or the way to sign in when there is none. */
  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, message: { notice?: string | undefined; error?: string | undefined }) => {
    const session = sessions.current(request);
    const user = request.authenticatedUser ?? (session?.userId ? await accounts.activeUser(session.userId) : undefined);
    if (!session?.userId || !user) return see(reply, SIGN_IN);
    const [userDevices, userConsents] = await Promise.all([devices.list(user.id, { kind: 'browser', id: session.publicId }), consents.list(user.id)]);
    const html = renderAccount({
      csrfToken: session.csrfToken,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      roles: user.roles,
      devices: userDevices,
      consents: userConsents,
      ...message,
    });
    return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  };

  // A browser gets a page back, never a JSON problem: no session sends it to sign in, a refused form shows the reason.
  app.setErrorHandler(async (error, request, reply) => {
    const appError = toAppError(error, false);
    if (appError.status >= 500) throw error;
    request.log.info({ errorCode: appError.code, reason: appError.message }, 'request rejected');
    if (appError.code === 'unauthenticated') return see(reply, SIGN_IN);
    return show(request, reply, appError.status, { error: messageOf(appError) });
  });

  app.get<{ Querystring: { done?: string } }>(
    '/account',
    { config, schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => show(request, reply, 200, { notice: NOTICES.get(request.query.done ?? '') }),
  );

  app.post<{ Body: { id: string } }>(
    '/account/devices/end',
    { config, schema: { body: formBody(['id'], { id: { type: 'string', format: 'uuid' } }) } },
    async (request, reply) => {
      const ended = await self.endDevice(request, reply, request.body.id);
      if (!ended) throw new AppError('not_found', 'You have no such session.');
      return ended.signedOut ? see(reply, '/login') : backWith(reply, 'device_ended');
    },
  );

  app.post('/account/sign-out-everywhere', { config, schema: { body: formBody([], {}) } }, async (request, reply) => {
    await self.logoutEverywhere(request, reply);
    return see(reply, '/login');
  });

  app.post<{ Body: { current_password: string; new_password: string; confirm_password: string } }>(
    '/account/password',
    {
      config,
      schema: {
        body: formBody(['current_password', 'new_password', 'confirm_password'], {
          current_password: passwordSchema,
          new_password: passwordSchema,
          confirm_password: passwordSchema,
        }),
      },
    },
    async (request, reply) => {
      const { current_password: currentPassword, new_password: newPassword, confirm_password: confirmation } = request.body;
      if (newPassword !== confirmation) return show(request, reply, 400, { error: PASSWORDS_DIFFER });
      // Whatever session the change continues under, the session plugin sets its cookie on this redirect.
      await self.changePassword(request, { currentPassword, newPassword });
      return backWith(reply, 'password_changed');
    },
  );

  app.post<{ Body: { client_id: string } }>(
    '/account/consents/revoke',
    { config, schema: { body: formBody(['client_id'], { client_id: { type: 'string', maxLength: 128 } }) } },
    async (request, reply) => {
      if (!(await consents.revoke(principalOf(request).userId, request.body.client_id))) throw new AppError('not_found', 'You have not allowed this application.');
      return backWith(reply, 'consent_revoked');
    },
  );
}
