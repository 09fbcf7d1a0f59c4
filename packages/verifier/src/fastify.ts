import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { VerifierError, isClientError } from './errors.js';
import type { AccessTokenClaims, Verifier } from './verifier.js';

/** What a route needs: every scope listed, and at least one of the roles listed. */
export interface AuthRequirement {
  scopes?: string[];
  roles?: string[];
}

export interface VerifierPluginOptions {
  verifier: Verifier;
  /** RFC 6750 §3 realm of the challenges. */
  realm?: string;
  /**
   * The absolute URL the client addressed, for the DPoP proof's htu. Default
   * `${request.protocol}://${request.host}${request.url}` (set Fastify's
   * trustProxy behind a proxy, or compute it here).
   */
  requestUrl?: (request: FastifyRequest) => string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token's claims on routes with `config.accessToken`. */
    token: AccessTokenClaims | undefined;
  }
  interface FastifyContextConfig {
    /** Protect the route with the verifier plugin: a valid access token with these scopes and roles. */
    accessToken?: AuthRequirement;
  }
}

const STATUS: Record<VerifierError['code'], number> = {
  missing_token: 401,
  invalid_token: 401,
  token_expired: 401,
  token_revoked: 401,
  invalid_dpop_proof: 401,
  insufficient_scope: 403,
  insufficient_role: 403,
  // The verifier cannot decide: not the caller's fault, and worth a retry.
  feed_stale: 503,
  discovery_failed: 503,
  jwks_unavailable: 503,
};

/**
 * A preHandler that verifies the request's token and checks `requirement`;
 * on success `request.token` holds the claims.
 */
export function requireAuth(verifier: Verifier, requirement: AuthRequirement = {}, options: Omit<VerifierPluginOptions, 'verifier'> = {}): preHandlerAsyncHookHandler {
  const requestUrl = options.requestUrl ?? ((request: FastifyRequest) => `${request.protocol}://${request.host}${request.url}`);
  return async function verifyAccessToken(request, reply) {
    const authorization = request.headers.authorization;
    try {
      const claims = await verifier.verifyRequest({ authorization, dpop: request.headers.dpop, method: request.method, url: requestUrl(request) });
      checkRequirement(claims, requirement);
      request.token = claims;
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      return refuse(reply, error, { verifier, requirement, realm: options.realm, dpop: error.dpop || error.code === 'invalid_dpop_proof' || /^dpop /i.test(authorization ?? '') });
    }
  };
}

/**
 * Registers one preHandler for the whole app (not encapsulated): every route
 * whose config has `accessToken` is protected, e.g.
 * `app.get('/orders', { config: { accessToken: { scopes: ['orders:read'] } } }, handler)`.
 */
export const verifierPlugin: FastifyPluginAsync<VerifierPluginOptions> = async (app, options) => {
  app.decorateRequest('token', undefined);
  const guards = new Map<AuthRequirement, preHandlerAsyncHookHandler>();
  app.addHook('preHandler', async function authenticate(request, reply) {
    const requirement = request.routeOptions.config.accessToken;
    if (!requirement) return;
    let guard = guards.get(requirement);
    if (!guard) guards.set(requirement, (guard = requireAuth(options.verifier, requirement, options)));
    return guard.call(this, request, reply);
  });
};
// What fastify-plugin does, without depending on it: the hook reaches routes outside this plugin's scope.
Object.assign(verifierPlugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@identity-service/verifier' });

function checkRequirement(claims: AccessTokenClaims, { scopes = [], roles = [] }: AuthRequirement): void {
  const granted = new Set((claims.scope ?? '').split(' '));
  if (!scopes.every((scope) => granted.has(scope))) throw new VerifierError('insufficient_scope', 'The token lacks a scope this resource requires.');
  if (roles.length > 0 && !roles.some((role) => claims.roles?.includes(role))) throw new VerifierError('insufficient_role', 'The token lacks a role this resource requires.');
}

interface RefusalContext {
  verifier: Verifier;
  requirement: AuthRequirement;
  realm: string | undefined;
  dpop: boolean;
}

/** RFC 6750 §3 (and RFC 9449 §7.1 for the DPoP scheme): a challenge naming what went wrong, the same in the body. */
function refuse(reply: FastifyReply, error: VerifierError, { verifier, requirement, realm, dpop }: RefusalContext): FastifyReply {
  const status = STATUS[error.code];
  if (!isClientError(error)) {
    return reply.code(status).header('retry-after', '5').send({ error: 'temporarily_unavailable', error_description: error.message });
  }
  const params: string[] = [];
  if (realm) params.push(`realm="${quoted(realm)}"`);
  const oauthError = status === 403 ? 'insufficient_scope' : 'invalid_token';
  if (error.code === 'missing_token') {
    // §3.1: no error code when the request carried no credentials; both schemes offered.
    const bearer = ['Bearer', params.join(', ')].filter(Boolean).join(' ');
    return reply.code(401).header('www-authenticate', `${bearer}, DPoP algs="${verifier.dpopAlgorithms.join(' ')}"`).send({ error: 'invalid_request', error_description: error.message });
  }
  const code = error.code === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : oauthError;
  params.push(`error="${code}"`, `error_description="${quoted(error.message)}"`);
  if (error.code === 'insufficient_scope' && requirement.scopes?.length) params.push(`scope="${quoted(requirement.scopes.join(' '))}"`);
  if (dpop) params.push(`algs="${verifier.dpopAlgorithms.join(' ')}"`);
  return reply.code(status).header('www-authenticate', `${dpop ? 'DPoP' : 'Bearer'} ${params.join(', ')}`).send({ error: code, error_description: error.message });
}

const quoted = (value: string) => value.replace(/["\\]/g, '');
