import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientAuthenticationFailed } from '../../domain/clients/authenticate.js';
import type { Client } from '../../domain/clients/client.js';
import type { RevocationFeed } from '../../domain/revocations/revocation-feed.js';
import { matchesAny } from '../etag.js';
import { requireFormBody } from './form-only.js';
import { formBody } from './schemas.js';

export interface RevocationFeedRouteOptions {
  revocationFeed: { feed: RevocationFeed; public: boolean; maxAgeSeconds: number };
  authenticate(request: FastifyRequest): Client;
}

/**
 * The revocation feed (docs/revocation.md): GET, with client_secret_basic,
 * or POST for client_secret_post, as the introspection endpoint accepts.
 * Confidential clients only, unless REVOCATION_FEED_PUBLIC: the feed names
 * logins and users, which a stranger has no business enumerating.
 */
export async function revocationFeedRoute(app: FastifyInstance, { revocationFeed, authenticate }: RevocationFeedRouteOptions) {
  const { feed, maxAgeSeconds } = revocationFeed;
  // `private` unless public: a shared cache must not hand an authenticated answer to an unauthenticated caller.
  const cacheControl = `${revocationFeed.public ? 'public' : 'private'}, max-age=${maxAgeSeconds}`;

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!revocationFeed.public) {
      const client = authenticate(request);
      if (client.type !== 'confidential') throw clientAuthenticationFailed('Only confidential clients may read the revocation feed.');
    }
    const { version, jwt } = await feed.current();
    const etag = `"${version}"`;
    reply.header('cache-control', cacheControl).header('etag', etag);
    if (matchesAny(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.type('application/jwt').send(jwt);
  };

  const config = { errorFormat: 'oauth' } as const;
  app.get('/oauth/revocations', { config }, serve);
  app.post('/oauth/revocations', { config, preValidation: requireFormBody, schema: { body: formBody([]) } }, serve);
}
