import type { Role, User } from '../../domain/users/user.js';

/**
 * Who a request is made by, whichever way it authenticated. Routes read this
 * and nothing else: they never look at cookies or the Authorization header.
 */
export interface Principal {
  readonly userId: string;
  /** The account's email: from the loaded account, or a Bearer token's `email` claim (null in tokens minted before it existed). */
  readonly email: string | null;
  readonly roles: readonly Role[];
  /** The login the request is made under: the browser session's public id, or the token's `sid` (its refresh family). */
  readonly sid: string;
  /** The OAuth client of a Bearer token; null for a browser session. */
  readonly clientId: string | null;
  /** A Bearer token's scope; null for a browser session. */
  readonly scope: string | null;
  readonly method: 'session' | 'bearer';
  /** The key a DPoP-bound token is bound to (its cnf.jkt), so a fresh login can be bound to it too. */
  readonly dpopJkt?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on routes that declare `auth`; null elsewhere. */
    principal: Principal | null;
    /** The account the authentication hook already loaded (session logins), so a route need not read it again. */
    authenticatedUser: User | null;
  }
}

/** The login a principal stands for, in the device list's terms. */
export const currentLogin = (principal: Principal) => ({ kind: principal.method === 'session' ? ('browser' as const) : ('token' as const), id: principal.sid });
