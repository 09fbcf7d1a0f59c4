import type { FastifyInstance } from 'fastify';
import { clientAuthenticationFailed } from '../../domain/clients/authenticate.js';
import { formBody } from './schemas.js';
import { requireFormBody } from './form-only.js';
import type { OAuthRouteDeps } from './plugin.js';

/**
 * RFC 7662. Only confidential clients may ask, so token scanning needs a
 * credential; only those entitled (the `introspect` scope) learn about other
 * clients' tokens (src/domain/tokens/introspection.ts).
 */
export async function introspectRoute(app: FastifyInstance, { introspect, authenticate }: OAuthRouteDeps) {
  app.post<{ Body: { token: string } }>(
    '/oauth/introspect',
    {
      config: { errorFormat: 'oauth' },
      preValidation: requireFormBody,
      schema: {
        body: formBody(['token']),
        response: {
          200: {
            type: 'object',
            required: ['active'],
            properties: {
              active: { type: 'boolean' },
              token_type: { type: 'string' },
              scope: { type: 'string' },
              client_id: { type: 'string' },
              sub: { type: 'string' },
              aud: { type: 'string' },
              iss: { type: 'string' },
              exp: { type: 'integer' },
              iat: { type: 'integer' },
              jti: { type: 'string' },
              sid: { type: 'string' },
              cnf: { type: 'object', properties: { jkt: { type: 'string' } } },
            },
          },
        },
      },
    },
    async (request) => {
      const client = authenticate(request);
      if (client.type !== 'confidential') {
        throw clientAuthenticationFailed('Only confidential clients may introspect tokens.');
      }
      return introspect(client, request.body.token);
    },
  );
}
