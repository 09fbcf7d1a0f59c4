import cookie from '@fastify/cookie';
import session from '@fastify/session';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
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
    const options = {
      secret: cookieSecret.toString('base64url'),
      cookieName: sessions.cookie.name,
      // __Host- requires Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2): the cookie cannot be set or shadowed by a sibling subdomain.
      cookie: { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: sessions.cookie.secure },
      idGenerator: () => newOpaqueToken(),
      store: fastifySessionStore(sessions.store),
      // Nothing is written until there is something to keep: no row per anonymous request.
      saveUninitialized: false,
      rolling: false,
    };
    const needsSession = (request: FastifyRequest) =>
      request.routeOptions.config.startsSession === true || request.cookies[sessions.cookie.name] !== undefined;
    await new Promise<void>((resolve, reject) =>
      session(onRequestHooksOnlyWhere(app, needsSession), options, (error?: Error) => (error ? reject(error) : resolve())),
    );
    app.decorate('browserSessions', sessions);
  },
  { name: 'browser-sessions' },
);

/**
 * @fastify/session builds a session for every request it sees: a fresh
 * 256-bit id, its HMAC and a hash of the empty state, about a tenth of a
 * Bearer `GET /v1/me`'s CPU (profiled). A request without the cookie has no
 * session to load, and only a route that starts one (`startsSession`) needs a
 * new one; elsewhere the plugin's onRequest hook is skipped and
 * `request.session` stays null. The plugin sees `app` itself otherwise, so
 * its decorators and its onSend hook (which ignores a null session) are as
 * upstream has them.
 */
function onRequestHooksOnlyWhere(app: FastifyInstance, applies: (request: FastifyRequest) => boolean): FastifyInstance {
  const addHook = (name: string, hook: onRequestHookHandler) => {
    if (name !== 'onRequest') return app.addHook(name as 'onSend', hook as never);
    return app.addHook('onRequest', function (request, reply, done) {
      if (applies(request)) return hook.call(this, request, reply, done);
      done();
    });
  };
  return new Proxy(app, { get: (target, key, receiver) => (key === 'addHook' ? addHook : Reflect.get(target, key, receiver)) });
}

declare module 'fastify' {
  interface FastifyInstance {
    browserSessions: BrowserSessions;
  }
}
