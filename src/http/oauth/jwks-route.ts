import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../../domain/keys/key-ring.js';
import type { KeyService } from '../../domain/keys/key-service.js';
import { matchesAny } from '../etag.js';
import { QUIET_ROUTE } from '../quiet-route.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Signs and verifies access tokens (what token code needs). */
    keyRing: KeyRing;
    /** The same keys, with rotation and status (CLI-like operations: the admin API). */
    keyService: KeyService;
  }
}

export interface JwksRouteOptions {
  keyRing: KeyRing;
  /** Cache-Control max-age; key pre-publication is at least this long, so a cached JWKS always holds the next key. */
  maxAgeSeconds: number;
}

const jwk = {
  type: 'object',
  required: ['kty', 'crv', 'alg', 'use', 'kid', 'x', 'y'],
  additionalProperties: false,
  properties: {
    kty: { const: 'EC' },
    crv: { const: 'P-256' },
    alg: { const: 'ES256' },
    use: { const: 'sig' },
    kid: { type: 'string' },
    x: { type: 'string' },
    y: { type: 'string' },
  },
} as const;

/** The JWKS (RFC 7517 §5) downstream services verify access tokens with. */
export async function jwksRoute(app: FastifyInstance, options: JwksRouteOptions) {
  const cacheControl = `public, max-age=${options.maxAgeSeconds}`;
  app.get(
    '/.well-known/jwks.json',
    {
      ...QUIET_ROUTE,
      schema: {
        response: {
          200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: jwk } } },
          304: { type: 'null' },
        },
      },
    },
    async (request, reply) => {
      // Pre-serialised: the body is only rebuilt when the set of published keys changes.
      const { body, etag } = await options.keyRing.jwks();
      reply.header('cache-control', cacheControl).header('etag', etag);
      if (matchesAny(request.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
