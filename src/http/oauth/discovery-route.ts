import type { FastifyInstance } from 'fastify';
import { CLIENT_AUTH_METHODS } from '../../domain/clients/authenticate.js';
import { QUIET_ROUTE } from '../quiet-route.js';

export interface DiscoveryOptions {
  issuer: string;
  grantTypes: readonly string[];
  scopes: readonly string[];
  maxAgeSeconds: number;
}

/** RFC 8414 metadata, also served at the OpenID Connect location because many client libraries look there first. */
export function authorizationServerMetadata({ issuer, grantTypes, scopes }: DiscoveryOptions) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    grant_types_supported: grantTypes,
    // No front-channel endpoint is offered yet, so no response type either.
    response_types_supported: [] as string[],
    scopes_supported: scopes,
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((method) => method !== 'none'),
  };
}

export async function discoveryRoutes(app: FastifyInstance, options: DiscoveryOptions) {
  const body = JSON.stringify(authorizationServerMetadata(options));
  const cacheControl = `public, max-age=${options.maxAgeSeconds}`;
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, QUIET_ROUTE, async (_request, reply) => reply.header('cache-control', cacheControl).type('application/json; charset=utf-8').send(body));
  }
}
