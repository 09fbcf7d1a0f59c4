import type { FastifyInstance } from 'fastify';
import { formBody } from './schemas.js';
import { requireFormBody } from './form-only.js';
import type { OAuthRouteDeps } from './plugin.js';

/** RFC 7009. Public clients identify with client_id; confidential ones authenticate. */
export async function revokeRoute(app: FastifyInstance, { revoke, authenticate }: OAuthRouteDeps) {
  app.post<{ Body: { token: string } }>(
    '/oauth/revoke',
    { config: { errorFormat: 'oauth' }, preValidation: requireFormBody, schema: { body: formBody(['token']) } },
    async (request, reply) => {
      const client = authenticate(request);
      // token_type_hint only speeds up a lookup (§2.1); the token's shape already tells us its type.
      await revoke(client, request.body.token);
      return reply.code(200).send();
    },
  );
}
