import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Client } from '../../domain/clients/client.js';
import type { TokenDomain } from '../../domain/tokens/token-domain.js';
import { discoveryRoutes, type DiscoveryOptions } from './discovery-route.js';
import { introspectRoute } from './introspect-route.js';
import { revokeRoute } from './revoke-route.js';
import { tokenRoute } from './token-route.js';

export interface OAuthRouteDeps {
  grants: TokenDomain['grants'];
  introspect: TokenDomain['introspect'];
  revoke: TokenDomain['revoke'];
  /** Authenticates the client of a request (RFC 6749 §2.3); throws invalid_client. */
  authenticate(request: FastifyRequest): Client;
  onIssued(grantType: string): void;
}

/** The OAuth surface: token, revocation, introspection and discovery. */
export async function oauthPlugin(app: FastifyInstance, options: OAuthRouteDeps & { discovery: Omit<DiscoveryOptions, 'grantTypes'> }) {
  await app.register(tokenRoute, options);
  await app.register(revokeRoute, options);
  await app.register(introspectRoute, options);
  await app.register(discoveryRoutes, { ...options.discovery, grantTypes: Object.keys(options.grants) });
}
