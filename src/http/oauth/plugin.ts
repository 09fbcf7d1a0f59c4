import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Client } from '../../domain/clients/client.js';
import type { DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenDomain } from '../../domain/tokens/token-domain.js';
import { discoveryRoutes, type DiscoveryOptions } from './discovery-route.js';
import { introspectRoute } from './introspect-route.js';
import { revocationFeedRoute, type RevocationFeedRouteOptions } from './revocation-feed-route.js';
import { revokeRoute } from './revoke-route.js';
import { tokenRoute } from './token-route.js';

export interface OAuthRouteDeps {
  grants: TokenDomain['grants'];
  introspect: TokenDomain['introspect'];
  revoke: TokenDomain['revoke'];
  /** Authenticates the client of a request (RFC 6749 §2.3); throws invalid_client. */
  authenticate(request: FastifyRequest): Client;
  onIssued(grantType: string): void;
  /** Verifies the token endpoint's DPoP proofs (RFC 9449 §5). */
  dpop: DpopProofs;
  issuer: string;
}

/** The OAuth surface: token, revocation, introspection, the revocation feed and discovery. */
export async function oauthPlugin(
  app: FastifyInstance,
  options: OAuthRouteDeps & Pick<RevocationFeedRouteOptions, 'revocationFeed'> & { discovery: Omit<DiscoveryOptions, 'grantTypes'> },
) {
  await app.register(async (endpoints) => {
    // RFC 6749 §5.1: answers that carry or describe tokens are never cached, errors included.
    endpoints.addHook('onRequest', (_request, reply, done) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      done();
    });
    await endpoints.register(tokenRoute, options);
    await endpoints.register(revokeRoute, options);
    await endpoints.register(introspectRoute, options);
  });
  // Outside the no-store scope: the feed is meant to be cached for a few seconds (ETag, max-age).
  await app.register(revocationFeedRoute, options);
  await app.register(discoveryRoutes, { ...options.discovery, grantTypes: Object.keys(options.grants) });
}
