import type { FastifyInstance } from 'fastify';
import type { Consents } from '../../domain/authorization/consents.js';
import { AppError } from '../../domain/errors.js';
import { principalOf } from '../auth/plugin.js';

const consentSchema = {
  type: 'object',
  required: ['client_id', 'scope', 'created_at', 'updated_at'],
  properties: {
    client_id: { type: 'string' },
    scope: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

const signedIn = { auth: 'session-or-bearer' } as const;

/** The applications the user allowed, and taking an allowance back (which ends that application's logins). */
export async function consentRoutes(app: FastifyInstance, { consents }: { consents: Consents }) {
  app.get(
    '/v1/me/consents',
    { config: signedIn, schema: { response: { 200: { type: 'object', required: ['consents'], properties: { consents: { type: 'array', items: consentSchema } } } } } },
    async (request) => {
      const list = await consents.list(principalOf(request).userId);
      return {
        consents: list.map((consent) => ({
          client_id: consent.clientId,
          scope: consent.scope,
          created_at: consent.createdAt.toISOString(),
          updated_at: consent.updatedAt.toISOString(),
        })),
      };
    },
  );

  app.delete<{ Params: { client_id: string } }>(
    '/v1/me/consents/:client_id',
    { config: signedIn, schema: { params: { type: 'object', required: ['client_id'], properties: { client_id: { type: 'string', maxLength: 128 } } } } },
    async (request, reply) => {
      if (!(await consents.revoke(principalOf(request).userId, request.params.client_id))) throw new AppError('not_found', 'You have not allowed this application.');
      return reply.code(204).send();
    },
  );
}
