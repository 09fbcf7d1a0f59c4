import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../domain/errors.js';
import type { AccessTokenClaims } from '../../domain/tokens/access-token.js';
import { DPOP_ALGORITHMS, type DpopProofs } from '../../domain/tokens/dpop/dpop-proofs.js';
import type { TokenServices } from '../../domain/tokens/token-services.js';
import { dpopProofOf } from '../dpop.js';
import type { Accounts } from '../../domain/users/accounts.js';
import { knownRoles, type User } from '../../domain/users/user.js';
import type { BrowserSessions } from '../session/browser-sessions.js';
import { csrfTokenMatches, isCrossSite, isFormPost, SAFE_METHODS } from './cross-site.js';
import type { Principal } from './principal.js';

export interface AuthPluginOptions {
  accounts: Accounts;
  sessions: BrowserSessions;
  tokens: TokenServices;
  issuer: string;
  dpop: DpopProofs;
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
const DPOP = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/;

/** The CSRF token of a request: the X-CSRF-Token header, or the `csrf_token` field of a server-rendered form. */
const presentedCsrfToken = (request: FastifyRequest): unknown =>
  request.headers['x-csrf-token'] ?? (isFormPost(request) ? (request.body as Record<string, unknown> | undefined)?.csrf_token : undefined);

/**
 * The one authentication layer. A route declares `auth` (and maybe `role`)
 * in its config; this preHandler resolves the principal
 * (session cookie first, then a Bearer or DPoP access token), applies the CSRF rules
 * to cookie-authenticated requests, and throws on failure. Routes only read
 * `request.principal`. It covers every route registered after it, wherever;
 * a cookie only counts where the session plugin runs (the accounts surface),
 * so a session route registered outside it fails closed with 401.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: AuthPluginOptions) => {
    const ownOrigin = new URL(options.issuer).origin;
    // RFC 6750 §3: every 401 names the scheme and realm; error= only when a token was presented.
    const challenge = (error?: string) => `Bearer realm="${options.issuer}"${error ? `, error="${error}"` : ''}`;
    // RFC 9449 §7.1: a DPoP challenge names the algorithms a proof may use.
    const dpopOffer = `DPoP realm="${options.issuer}", algs="${DPOP_ALGORITHMS.join(' ')}"`;
    const dpopChallenge = (error: string) => `${dpopOffer}, error="${error}"`;
    const dpopRefusal = (error: string, detail: string, headers: Record<string, string> = {}) =>
      new AppError('unauthenticated', detail, { headers: { ...headers, 'www-authenticate': dpopChallenge(error) } });

    const refuseCrossSite = (request: FastifyRequest) => {
      if (isCrossSite(request, ownOrigin)) throw new AppError('csrf_failed', 'Cross-site requests are refused.');
    };

    const sessionPrincipal = async (request: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> => {
      const session = options.sessions.current(request);
      if (!session?.userId) return undefined;
      const user = await options.accounts.activeUser(session.userId);
      if (!user) {
        await options.sessions.end(request, reply);
        return undefined;
      }
      if (!SAFE_METHODS.has(request.method)) {
        refuseCrossSite(request);
        // Synchronizer token (OWASP CSRF cheat sheet): a cross-site page can make the browser send the cookie, never
        // this header, nor read the token a server-rendered form carries in a hidden field.
        if (!csrfTokenMatches(presentedCsrfToken(request), session.csrfToken)) {
          throw new AppError('csrf_failed', 'The X-CSRF-Token header is missing or does not match the session.');
        }
      }
      options.sessions.touch(request);
      request.authenticatedUser = user;
      return { userId: user.id, email: user.email, roles: user.roles, sid: session.publicId, clientId: null, scope: null, method: 'session' };
    };

    /**
     * RFC 9449 §7: a DPoP-bound token counts only with a proof, made by its
     * key, of this request and of this very token.
     */
    const proveBinding = async (request: FastifyRequest, token: string, claims: AccessTokenClaims) => {
      if (!claims.cnf) throw dpopRefusal('invalid_token', 'This access token is not DPoP-bound: send it with the Bearer scheme.');
      let jkt: string;
      try {
        const proof = dpopProofOf(request);
        if (proof === undefined) throw new AppError('invalid_dpop_proof', 'A DPoP-bound access token needs a DPoP proof.');
        ({ jkt } = await options.dpop.verify(proof, { method: request.method, uri: `${options.issuer}${request.url.split('?')[0]}`, accessToken: token }));
      } catch (error) {
        if (!(error instanceof AppError) || (error.code !== 'invalid_dpop_proof' && error.code !== 'use_dpop_nonce')) throw error;
        throw dpopRefusal(error.code, error.detail ?? 'The DPoP proof is invalid.', error.headers);
      }
      if (jkt !== claims.cnf.jkt) throw dpopRefusal('invalid_dpop_proof', 'The DPoP proof is not made by the key the access token is bound to.');
    };

    // `dpopRequest`: the token came with the DPoP scheme, and this request's proof must bind it.
    const bearerPrincipal = async (token: string, dpopRequest?: FastifyRequest): Promise<Principal> => {
      const { tokens } = options;
      // RFC 9449 §7.1: a token presented with the DPoP scheme is refused with a DPoP challenge.
      const schemeChallenge = (error: string) => (dpopRequest ? dpopChallenge(error) : challenge(error));
      const invalid = (detail: string) => new AppError('unauthenticated', detail, { headers: { 'www-authenticate': schemeChallenge('invalid_token') } });
      let claims;
      try {
        claims = await tokens.verifyAccessToken(token);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) throw invalid('The access token is invalid or expired.');
        throw error;
      }
      if (dpopRequest) await proveBinding(dpopRequest, token, claims);
      // RFC 9449 §7.1: as a Bearer token, a stolen bound token would need no key at all.
      else if (claims.cnf) throw dpopRefusal('invalid_token', 'This access token is DPoP-bound: send it with the DPoP scheme and a proof.');
      if (!claims.sid) {
        // A client-credentials token stands for a service, not a user.
        throw new AppError('forbidden', 'This endpoint needs an access token issued to a user.', {
          headers: { 'www-authenticate': schemeChallenge('insufficient_scope') },
        });
      }
      // In memory and pushed by every replica (domain/revocations/): a revoked login stops here at once, for free.
      if (tokens.isRevoked(claims)) throw invalid('The login this token belongs to has ended.');
      const roles = knownRoles(claims.roles);
      return { userId: claims.sub, email: typeof claims.email === 'string' ? claims.email : null, roles, sid: claims.sid, clientId: claims.client_id, scope: claims.scope, method: 'bearer', ...(claims.cnf ? { dpopJkt: claims.cnf.jkt } : {}) };
    };

    app.decorateRequest('principal', null);
    app.decorateRequest('authenticatedUser', null);

    const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
      const config = request.routeOptions.config;
      const unsafe = !SAFE_METHODS.has(request.method);
      if (config.sameOrigin && unsafe) refuseCrossSite(request);
      if (config.preSessionCsrf && unsafe && isFormPost(request)) {
        if (!csrfTokenMatches(presentedCsrfToken(request), options.sessions.current(request)?.csrfToken)) {
          throw new AppError('csrf_failed', 'The form has expired; load the page again.');
        }
      }
      if (!config.auth) return;

      let principal: Principal | undefined;
      if (config.auth !== 'bearer') principal = await sessionPrincipal(request, reply);
      if (!principal && config.auth !== 'session') {
        const header = request.headers.authorization;
        // Other schemes (Basic…) are not ours to judge here: they just do not authenticate.
        if (header !== undefined && /^bearer /i.test(header)) {
          const token = BEARER.exec(header)?.[1];
          if (!token) throw new AppError('unauthenticated', 'The Authorization header is malformed.', { headers: { 'www-authenticate': challenge('invalid_token') } });
          principal = await bearerPrincipal(token);
        } else if (header !== undefined && /^dpop /i.test(header)) {
          const token = DPOP.exec(header)?.[1];
          if (!token) throw dpopRefusal('invalid_token', 'The Authorization header is malformed.');
          principal = await bearerPrincipal(token, request);
        }
      }
      // Both schemes are offered (RFC 9449 §7.1), so a client learns that DPoP is accepted here.
      if (!principal) throw new AppError('unauthenticated', 'Sign in, or send an access token.', { headers: { 'www-authenticate': `${challenge()}, ${dpopOffer}` } });
      if (config.role && !principal.roles.includes(config.role)) throw new AppError('forbidden', `This needs the ${config.role} role.`);
      request.principal = principal;
      // Answers about a signed-in user are personal: no shared cache may keep them.
      reply.header('cache-control', 'no-store');
    };

    // Attached to each route that declares something, ahead of its own preHandlers (a rate limit counts only
    // requests that passed CSRF); the public routes (JWKS, OAuth endpoints, probes) do not pay for it.
    app.addHook('onRoute', (route) => {
      const { auth, role, sameOrigin, preSessionCsrf } = route.config ?? {};
      if (!auth && !role && !sameOrigin && !preSessionCsrf) return;
      if (role && !auth) throw new Error(`${route.method} ${route.url} declares a role but no auth`);
      route.preHandler = [authenticate, ...[route.preHandler ?? []].flat()];
    });
  },
  { name: 'authentication' },
);

/**
 * The active account behind the principal: the one the hook loaded for a
 * session, else read once (a Bearer token carries no profile). Undefined when
 * it no longer exists or was disabled.
 */
export async function activeUserOf(request: FastifyRequest, accounts: Accounts): Promise<User | undefined> {
  return request.authenticatedUser ?? (await accounts.activeUser(principalOf(request).userId));
}

/** The principal of a route that declared `auth`; the hook guarantees it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in, or send an access token.');
  return request.principal;
}
