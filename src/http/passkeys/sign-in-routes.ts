import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { MfaLoginStep } from '../../domain/mfa/login-step.js';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import { safeReturnTo } from '../../domain/sessions/return-to.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { viewOf, type UserView } from '../../domain/users/user.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { csrfTokenMatches } from '../auth/cross-site.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { DEFAULT_LANDING, sessionView, startBrowserSession } from '../session/sign-in.js';
import { ceremonyOptionsSchema, credentialResponseSchema, passkeySignInSchema } from './schemas.js';

export interface PasskeySignInOptions {
  passkeys: Passkeys;
  accounts: Accounts;
  sessions: BrowserSessions;
  tokens: Pick<TokenServices, 'moveBrowserSessionLogins'>;
  loginStep: MfaLoginStep;
  /** Per client IP, on every route here. */
  limit: RateLimit;
  issuer: string;
}

interface AssertionBody {
  response: Record<string, unknown>;
  return_to?: string;
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

/** The browser's pending second step (a correct password), in its session. */
function pendingStepOf(request: FastifyRequest, sessions: BrowserSessions) {
  const session = preLoginSessionOf(request, sessions);
  if (!session.mfaPending) throw new AppError('mfa_expired', 'There is no sign-in waiting for a second factor. Sign in again.');
  return { session, token: session.mfaPending };
}

const optionsRoute = { body: { type: 'object', additionalProperties: false }, response: { 200: ceremonyOptionsSchema } } as const;
const assertionRoute = {
  body: {
    type: 'object',
    required: ['response'],
    additionalProperties: false,
    properties: { response: credentialResponseSchema, return_to: { type: 'string', maxLength: 2048 } },
  },
  response: { 200: passkeySignInSchema },
} as const;

/**
 * Passkeys at sign-in: as the first factor (the browser offers the
 * discoverable credentials it holds for this site), and as the second step
 * after a password (the pending user's own credentials).
 */
export async function passkeySignInRoutes(app: FastifyInstance, options: PasskeySignInOptions) {
  const { passkeys, sessions } = options;
  const config = { sameOrigin: true } as const;
  const preHandler = async (request: FastifyRequest) => options.limit(request);

  const signedIn = async (request: FastifyRequest, reply: FastifyReply, user: UserView, amr: readonly string[], returnTo: string | undefined) => {
    const session = await startBrowserSession(request, options, user, amr);
    reply.header('cache-control', 'no-store');
    return { ...sessionView(user, session, sessions.lifetimes), location: safeReturnTo(returnTo, options.issuer) ?? DEFAULT_LANDING };
  };

  app.post('/v1/session/passkey/options', { config, preHandler, schema: optionsRoute }, async (request, reply) => {
    const session = preLoginSessionOf(request, sessions);
    reply.header('cache-control', 'no-store');
    return passkeys.signInOptions(session.publicId);
  });

  app.post<{ Body: AssertionBody }>('/v1/session/passkey', { config, preHandler, schema: assertionRoute }, async (request, reply) => {
    const preLogin = preLoginSessionOf(request, sessions);
    const { user, amr } = await passkeys.signIn(preLogin.publicId, request.body.response, { ip: request.ip });
    return signedIn(request, reply, user, amr, request.body.return_to);
  });

  app.post('/v1/session/mfa/passkey/options', { config, preHandler, schema: optionsRoute }, async (request, reply) => {
    const { session, token } = pendingStepOf(request, sessions);
    const userId = await options.loginStep.pendingUser(token, 'browser');
    reply.header('cache-control', 'no-store');
    return passkeys.secondFactorOptions(session.publicId, userId);
  });

  app.post<{ Body: AssertionBody }>('/v1/session/mfa/passkey', { config, preHandler, schema: assertionRoute }, async (request, reply) => {
    const { session, token } = pendingStepOf(request, sessions);
    const done = await options.loginStep
      .completeWith(token, null, 'browser', ({ userId }) => passkeys.verifySecondFactor(session.publicId, userId, request.body.response, { ip: request.ip }))
      .catch((error: unknown) => {
        // The step's refusal speaks of codes; a passkey gets the passkey's one answer.
        if (error instanceof AppError && error.code === 'invalid_mfa_code') throw new AppError('invalid_credentials', 'The passkey was not accepted.');
        throw error;
      });
    const user = await options.accounts.activeUser(done.userId);
    if (!user) throw new AppError('mfa_expired', 'This sign-in can no longer be completed. Sign in again.');
    return signedIn(request, reply, viewOf(user), done.amr, request.body.return_to);
  });
}
