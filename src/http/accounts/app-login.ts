import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../domain/clients/client.js';
import type { DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import type { UserView } from '../../domain/users/user.js';
import { sendDpopNonce } from '../dpop.js';

export interface AppLogin {
  readonly user: UserView;
  readonly client: Client;
  readonly scope: string;
  readonly dpopJkt: string | undefined;
  /** RFC 8176: how the user authenticated (`pwd`, then `otp` after the second step). */
  readonly amr: readonly string[];
}

/** Starts the first-party app's login and sends its token response (after the password, or after the second factor). */
export async function sendAppLogin(request: FastifyRequest, reply: FastifyReply, deps: { tokens: TokenServices; dpop: DpopProofs }, login: AppLogin) {
  const { user, client, scope, dpopJkt, amr } = login;
  const response = await deps.tokens.startLogin({
    userId: user.id,
    email: user.email,
    roles: user.roles,
    client,
    scope,
    amr,
    ip: request.ip,
    ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
    ...(dpopJkt ? { dpopJkt } : {}),
  });
  sendDpopNonce(reply, deps.dpop, dpopJkt);
  // RFC 6749 §5.1: token responses are never cached.
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
}
