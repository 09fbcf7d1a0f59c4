import cookie from '@fastify/cookie';
import session from '@fastify/session';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { newOpaqueToken } from '../../domain/tokens/opaque-token.js';
import type { BrowserSessions } from './browser-sessions.js';
import { fastifySessionStore } from './store-adapter.js';

export interface SessionPluginOptions {
  sessions: BrowserSessions;
  /** Signs the cookie (HMAC-SHA256); derived from the master key so every replica agrees. */
  cookieSecret: Buffer;
}

/**
 * Server-side browser sessions: the cookie carries a signed, 256-bit random
 * id and nothing else. The cookie never has Max-Age, so it ends with the
 * browser; the server enforces the idle and absolute timeouts either way.
 */
export const sessionPlugin = fp(
  async (app: FastifyInstance, { sessions, cookieSecret }: SessionPluginOptions) => {
    await app.register(cookie);
    await app.register(session, {
      secret: cookieSecret.toString('base64url'),
      cookieName: sessions.cookie.name,
      // __Host- requires Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2): the cookie cannot be set or shadowed by a sibling subdomain.
      cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: sessions.cookie.secure },
      idGenerator: () => newOpaqueToken(),
      store: fastifySessionStore(sessions.store),
      // Nothing is written until there is something to keep: no row per anonymous request.
      saveUninitialized: false,
      rolling: false,
    });
    app.decorate('browserSessions', sessions);
  },
  { name: 'browser-sessions' },
);

declare module 'fastify' {
  interface FastifyInstance {
    browserSessions: BrowserSessions;
  }
}
