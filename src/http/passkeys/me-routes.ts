import type { FastifyInstance } from 'fastify';
import type { Passkeys } from '../../domain/passkeys/passkeys.js';
import { principalOf } from '../auth/plugin.js';
import { ceremonyOptionsSchema, credentialResponseSchema, passkeyNameSchema, passkeySchema } from './schemas.js';
import { passkeyJson } from './views.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/**
 * The signed-in user's passkeys. Registering needs the browser session (the
 * ceremony's challenge is bound to it, and only a browser on this origin can
 * answer it); listing, renaming and removing also take a Bearer token, like
 * the other /v1/me routes.
 */
export async function passkeyMeRoutes(app: FastifyInstance, { passkeys }: { passkeys: Passkeys }) {
  app.post(
    '/v1/me/passkeys/registration-options',
    { config: { auth: 'session' }, schema: { body: { type: 'object', additionalProperties: false }, response: { 200: ceremonyOptionsSchema } } },
    async (request) => {
      const principal = principalOf(request);
      return passkeys.registrationOptions(principal.userId, principal.sid);
    },
  );

  app.post<{ Body: { response: Record<string, unknown>; name?: string } }>(
    '/v1/me/passkeys',
    {
      config: { auth: 'session' },
      schema: {
        body: { type: 'object', required: ['response'], additionalProperties: false, properties: { response: credentialResponseSchema, name: passkeyNameSchema } },
        response: { 201: passkeySchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const passkey = await passkeys.register(principal.userId, principal.sid, request.body.response, request.body.name, { ip: request.ip });
      return reply.code(201).send(passkeyJson(passkey));
    },
  );

  app.get(
    '/v1/me/passkeys',
    { config: { auth: 'session-or-bearer' }, schema: { response: { 200: { type: 'object', required: ['passkeys'], properties: { passkeys: { type: 'array', items: passkeySchema } } } } } },
    async (request) => ({ passkeys: (await passkeys.list(principalOf(request).userId)).map(passkeyJson) }),
  );

  app.patch<{ Params: { id: string }; Body: { name: string } }>(
    '/v1/me/passkeys/:id',
    {
      config: { auth: 'session-or-bearer' },
      schema: { params: idParams, body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: passkeyNameSchema } } },
    },
    async (request, reply) => {
      await passkeys.rename(principalOf(request).userId, request.params.id, request.body.name);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>('/v1/me/passkeys/:id', { config: { auth: 'session-or-bearer' }, schema: { params: idParams } }, async (request, reply) => {
    const principal = principalOf(request);
    await passkeys.remove(principal.userId, request.params.id, { ip: request.ip });
    return reply.code(204).send();
  });
}
