import type { FastifyInstance } from 'fastify';
import type { ClientRegistry } from '../../domain/clients/client.js';
import { AppError } from '../../domain/errors.js';
import type { MfaLoginStep } from '../../domain/mfa/login-step.js';
import type { DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { viewOf } from '../../domain/users/user.js';
import { sendAppLogin } from '../accounts/app-login.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { dpopProofOf } from '../dpop.js';
import { tokenResponseSchema } from '../oauth/schemas.js';
import { codeSchema } from './schemas.js';

export interface AppMfaLoginRoutesOptions {
  accounts: Accounts;
  clients: ClientRegistry;
  tokens: TokenServices;
  dpop: DpopProofs;
  loginStep: MfaLoginStep;
  limitCodes: RateLimit;
  issuer: string;
}

/** The first-party app's second login step: the `mfa_token` of POST /v1/auth/login and a code give the token response. */
export async function appMfaLoginRoutes(app: FastifyInstance, options: AppMfaLoginRoutesOptions) {
  const uri = `${options.issuer}/v1/auth/login/mfa`;
  app.post<{ Body: { mfa_token: string; code: string } }>(
    '/v1/auth/login/mfa',
    {
      preHandler: async (request) => options.limitCodes(request),
      schema: {
        body: {
          type: 'object',
          required: ['mfa_token', 'code'],
          additionalProperties: false,
          properties: { mfa_token: { type: 'string', minLength: 1, maxLength: 128 }, code: codeSchema },
        },
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      // The proof of the login's first step bound the token to its key (RFC 9449 §5): only that key finishes it.
      const proof = dpopProofOf(request);
      const dpopJkt = proof === undefined ? null : (await options.dpop.verify(proof, { method: request.method, uri })).jkt;
      const done = await options.loginStep.complete(request.body.mfa_token, request.body.code, dpopJkt, 'app', { ip: request.ip });
      const client = done.binding.clientId ? options.clients.find(done.binding.clientId) : undefined;
      const user = await options.accounts.activeUser(done.userId);
      // A client gone from the clients file, or an account disabled meanwhile.
      if (!client || !user || done.binding.scope === null) throw new AppError('mfa_expired', 'This sign-in can no longer be completed. Sign in again.');
      return sendAppLogin(request, reply, options, { user: viewOf(user), client, scope: done.binding.scope, dpopJkt: dpopJkt ?? undefined, amr: done.amr });
    },
  );
}
