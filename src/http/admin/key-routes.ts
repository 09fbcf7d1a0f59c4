import type { FastifyInstance } from 'fastify';
import type { KeyService } from '../../domain/keys/key-service.js';

// Key operations affect every token in circulation: a live admin login, checked on every call.
const adminOnly = { auth: 'session-or-bearer', role: 'admin' } as const;

const keyStatusSchema = {
  type: 'object',
  required: ['kid', 'phase', 'created_at', 'activates_at', 'retired_at', 'removed_at', 'compromised_at'],
  properties: {
    kid: { type: 'string' },
    phase: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    activates_at: { type: 'string', format: 'date-time' },
    retired_at: { type: ['string', 'null'], format: 'date-time' },
    removed_at: { type: ['string', 'null'], format: 'date-time' },
    compromised_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const toWire = (status: ReturnType<KeyService['status']>[number]) => ({
  kid: status.kid,
  phase: status.phase,
  created_at: status.createdAt,
  activates_at: status.activatesAt,
  retired_at: status.retiredAt,
  removed_at: status.removedAt,
  compromised_at: status.compromisedAt,
});

/** Signing-key administration: the same operations as `npm run keys`, for operators without shell access. */
export async function keyAdminRoutes(app: FastifyInstance, { keys }: { keys: KeyService }) {
  app.get(
    '/v1/admin/keys',
    { config: adminOnly, schema: { response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: keyStatusSchema } } } } } },
    async () => {
      await keys.reload();
      return { keys: keys.status().map(toWire) };
    },
  );

  app.post<{ Body: { compromised?: boolean; kid?: string } }>(
    '/v1/admin/keys/rotate',
    {
      config: adminOnly,
      // A bare POST (no body) means a plain rotation.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { compromised: { type: 'boolean' }, kid: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } },
        },
        response: {
          200: {
            type: 'object',
            properties: { created: keyStatusSchema, compromised: { type: 'string' } },
          },
        },
      },
    },
    async (request) => {
      const result = await keys.rotate(request.body);
      return {
        ...(result.created ? { created: toWire(result.created) } : {}),
        ...(result.compromised ? { compromised: result.compromised } : {}),
      };
    },
  );
}
