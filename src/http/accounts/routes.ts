import type { FastifyInstance } from 'fastify';
import type { ClientRegistry } from '../../domain/clients/client.js';
import { AppError } from '../../domain/errors.js';
import { grantScope } from '../../domain/tokens/scope.js';
import type { DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import { tokenRequestKey } from '../dpop.js';
import { mfaRequired, type MfaLoginStep } from '../../domain/mfa/login-step.js';
import { sendAppLogin } from './app-login.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { tokenResponseSchema } from '../oauth/schemas.js';
import type { RateLimit } from './rate-limits.js';
import { emailSchema, passwordSchema } from './schemas.js';

export interface AccountRoutesOptions {
  accounts: Accounts;
  clients: ClientRegistry;
  tokens: TokenServices;
  signupEnabled: boolean;
  limitLogin: RateLimit;
  limitSignup: RateLimit;
  /** A DPoP proof binds the app's login like at the token endpoint (RFC 9449 §5). */
  dpop: DpopProofs;
  issuer: string;
  mfa: MfaLoginStep;
}

/** Self sign-up and the first-party app's password login. */
export async function accountRoutes(app: FastifyInstance, options: AccountRoutesOptions) {
  const { accounts, clients, limitLogin, limitSignup } = options;
  const loginUri = `${options.issuer}/v1/auth/login`;

  app.post<{ Body: { email: string; password: string } }>(
    '/v1/users',
    {
      config: { sameOrigin: true },
      preHandler: async (request) => {
        // Checked first, so a closed sign-up does not spend the caller's rate budget.
        if (!options.signupEnabled) throw new AppError('signup_disabled', 'Accounts are created by an administrator.');
        await limitSignup(request);
      },
      schema: {
        body: { type: 'object', required: ['email', 'password'], additionalProperties: false, properties: { email: emailSchema, password: passwordSchema } },
        response: { 201: { type: 'object', required: ['id', 'email'], properties: { id: { type: 'string' }, email: { type: 'string' } } } },
      },
    },
    async (request, reply) => {
      // Only these two fields: whatever else a body carries (roles…) never reaches the account.
      const user = await accounts.register({ email: request.body.email, password: request.body.password }, { ip: request.ip });
      return reply.code(201).header('location', '/v1/me').send({ id: user.id, email: user.email });
    },
  );

  app.post<{ Body: { email: string; password: string; client_id: string; scope?: string } }>(
    '/v1/auth/login',
    {
      preHandler: async (request) => limitLogin(request),
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password', 'client_id'],
          additionalProperties: false,
          properties: { email: emailSchema, password: passwordSchema, client_id: { type: 'string', minLength: 1, maxLength: 128 }, scope: { type: 'string', maxLength: 1024 } },
        },
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const { email, password, client_id: clientId, scope } = request.body;
      // Passwords are only ever typed into the service's own apps (RFC 9700 §2.4 forbids the password grant for anyone else).
      const client = clients.find(clientId);
      if (!client || client.type !== 'public' || !client.firstParty) {
        throw new AppError('unauthorized_client', 'client_id is not a first-party public client.');
      }
      const granted = grantScope(scope, client.scopes);
      // Before the password is checked: a bad proof costs no hash and says nothing about the account.
      const dpopJkt = await tokenRequestKey(request, client, options.dpop, loginUri);
      const user = await accounts.checkCredentials(email, password, { ip: request.ip, clientId });
      // docs/mfa.md: with a second factor the password only earns an mfa_token for POST /v1/auth/login/mfa.
      const step = await options.mfa.afterPassword(user.id, { clientId, scope: granted, dpopJkt: dpopJkt ?? null }, client.requireMfa === true);
      if (step.kind === 'mfa_required') throw mfaRequired(step, 'token');
      return sendAppLogin(request, reply, options, { user, client, scope: granted, dpopJkt, amr: step.amr });
    },
  );
}
