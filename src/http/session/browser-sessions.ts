import type { FastifySessionObject } from '@fastify/session';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../domain/clock.js';
import {
  authenticationOf,
  fromSessionRecord,
  needsTouch,
  openSession,
  toSessionRecord,
  type BrowserSession,
  type SessionLifetimes,
} from '../../domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../../domain/sessions/session-store.js';
import { FRESH } from './store-adapter.js';

export interface CookieSettings {
  readonly name: string;
  readonly secure: boolean;
}

/**
 * Everything routes and the authentication hook do with the browser session
 * of a request. The cookie itself is @fastify/session's business.
 */
export class BrowserSessions {
  constructor(
    readonly store: BrowserSessionStore,
    private readonly clock: Clock,
    readonly lifetimes: SessionLifetimes,
    readonly cookie: CookieSettings,
  ) {}

  /** The request's live session (signed in or pre-login), if it has one. */
  current(request: FastifyRequest): BrowserSession | undefined {
    const state = request.session?.state;
    return state ? fromSessionRecord(state) : undefined;
  }

  /**
   * Signs the user in: the session gets a new id (whatever id the browser
   * presented is destroyed: no session fixation) and a new CSRF token. An
   * admin's session gets the admin absolute lifetime; a role change ends the
   * user's sessions (domain/users/administration.ts), so it holds for the next one.
   */
  async signIn(request: FastifyRequest, userId: string, amr: readonly string[], roles: readonly string[]): Promise<BrowserSession> {
    await sessionObject(request).regenerate();
    const session = openSession({ userId, userAgent: request.headers['user-agent'], ip: request.ip, roles }, this.clock.now(), this.lifetimes);
    return this.install(request, { ...session, amr, authTime: session.createdAt });
  }

  /** The password was right and a second factor is due: the request's session (made if need be) remembers the pending step. */
  markMfaPending(request: FastifyRequest, token: string): BrowserSession {
    const session = { ...this.preLogin(request), mfaPending: token };
    sessionObject(request).state = toSessionRecord(session);
    return session;
  }

  /**
   * After a privilege change (a new password, a re-authentication): same user
   * and deadlines, new id and CSRF token; the old id is dead.
   */
  async renew(request: FastifyRequest, changes: Pick<BrowserSession, 'reauthenticatedAt'> = {}): Promise<BrowserSession | undefined> {
    const previous = this.current(request);
    if (!previous?.userId) return undefined;
    await sessionObject(request).regenerate();
    const fresh = openSession({ userId: previous.userId, userAgent: request.headers['user-agent'], ip: request.ip }, this.clock.now(), this.lifetimes);
    const { amr, authTime } = authenticationOf(previous);
    return this.install(request, { ...fresh, createdAt: previous.createdAt, expiresAt: previous.expiresAt, amr, authTime, ...changes });
  }

  /** The pre-login session that carries the login form's CSRF token; made when the request has none. */
  preLogin(request: FastifyRequest): BrowserSession {
    return this.current(request) ?? this.install(request, openSession({ userId: null, userAgent: request.headers['user-agent'], ip: request.ip }, this.clock.now(), this.lifetimes));
  }

  /** Slides the idle deadline (at most once per touch interval, each time a write). */
  touch(request: FastifyRequest): void {
    const state = request.session?.state;
    if (!state) return;
    const now = this.clock.now();
    if (needsTouch(fromSessionRecord(state), now, this.lifetimes)) request.session.state = { ...state, lastSeenAt: now.getTime(), ip: request.ip };
  }

  /** Ends the request's session: destroyed in the store and the cookie cleared. */
  async end(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.session?.state) await request.session.destroy();
    reply.clearCookie(this.cookie.name, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.cookie.secure });
  }

  private install(request: FastifyRequest, session: BrowserSession): BrowserSession {
    const object = sessionObject(request);
    object.state = toSessionRecord(session);
    (object as unknown as Record<typeof FRESH, boolean>)[FRESH] = true;
    return session;
  }
}

/** @fastify/session's object for the request; a request without the cookie has one only on a route declaring `startsSession`. */
function sessionObject(request: FastifyRequest): FastifySessionObject {
  const object = request.session as FastifySessionObject | null;
  if (!object) throw new Error(`${request.method} ${request.routeOptions.url} starts a browser session but does not declare config.startsSession`);
  return object;
}
