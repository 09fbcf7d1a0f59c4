import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { GrantType } from '../../domain/clients/client.js';
import type { GrantTable } from '../../domain/tokens/grants/grant.js';
import { formBody, tokenResponseSchema } from './schemas.js';
import { requireFormBody } from './form-only.js';
import { sendDpopNonce, tokenRequestKey } from '../dpop.js';
import type { OAuthRouteDeps } from './plugin.js';

export async function tokenRoute(app: FastifyInstance, { grants, authenticate, onIssued, dpop, issuer }: OAuthRouteDeps) {
  const tokenEndpoint = `${issuer}/oauth/token`;
  app.post<{ Body: Record<string, string | undefined> }>(
    '/oauth/token',
    {
      config: { errorFormat: 'oauth' },
      preValidation: requireFormBody,
      schema: { body: formBody(['grant_type']), response: { 200: tokenResponseSchema } },
    },
    async (request, reply) => {
      const client = authenticate(request);
      const grantType = request.body.grant_type as GrantType;
      const grant = (grants as GrantTable)[grantType];
      if (!grant) throw new AppError('unsupported_grant_type', 'This grant_type is not supported.');
      if (!client.grantTypes.includes(grantType)) throw new AppError('unauthorized_client', 'This client may not use this grant_type.');
      const dpopJkt = await tokenRequestKey(request, client, dpop, tokenEndpoint);
      const response = await grant({
        client,
        params: request.body,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        ...(dpopJkt ? { dpopJkt } : {}),
      });
      sendDpopNonce(reply, dpop, dpopJkt);
      onIssued(grantType);
      return response;
    },
  );
}
