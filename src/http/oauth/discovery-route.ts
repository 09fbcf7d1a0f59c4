import type { FastifyInstance } from 'fastify';
import { CLIENT_AUTH_METHODS } from '../../domain/clients/authenticate.js';
import { SUPPORTED_CLAIMS } from '../../domain/tokens/id-tokens.js';
import { DPOP_ALGORITHMS } from '../../domain/tokens/dpop/dpop-proofs.js';
import { QUIET_ROUTE } from '../quiet-route.js';
import { ACR_VALUES_SUPPORTED } from '../../domain/mfa/amr.js';

export interface DiscoveryOptions {
  issuer: string;
  grantTypes: readonly string[];
  scopes: readonly string[];
  maxAgeSeconds: number;
}

/**
 * RFC 8414 metadata, also served at the OpenID Connect location because many
 * client libraries look there first; both carry the OpenID Connect Discovery
 * 1.0 §3 fields, so either document configures any client.
 */
export function authorizationServerMetadata({ issuer, grantTypes, scopes }: DiscoveryOptions) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    grant_types_supported: grantTypes,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    userinfo_endpoint: `${issuer}/oauth/userinfo`,
    end_session_endpoint: `${issuer}/oauth/logout`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: SUPPORTED_CLAIMS,
    prompt_values_supported: ['none', 'login', 'consent'],
    // PKCE with S256 only: `plain` gives no protection once the request is seen (RFC 9700 §2.1.1).
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    scopes_supported: scopes,
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((method) => method !== 'none'),
    // docs/revocation.md: the signed list of revoked logins and subjects, for verifiers that never call introspection.
    revocation_feed_uri: `${issuer}/oauth/revocations`,
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    // docs/mfa.md: asking for this policy in acr_values requires a second factor.
    acr_values_supported: ACR_VALUES_SUPPORTED,
  };
}

export async function discoveryRoutes(app: FastifyInstance, options: DiscoveryOptions) {
  const body = JSON.stringify(authorizationServerMetadata(options));
  const cacheControl = `public, max-age=${options.maxAgeSeconds}`;
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, QUIET_ROUTE, async (_request, reply) => reply.header('cache-control', cacheControl).type('application/json; charset=utf-8').send(body));
  }
}
