import type * as Fastify from 'fastify';
import { AppError } from '../../domain/errors.js';
import { fromSessionRecord, toSessionRecord, type BrowserSession, type SessionRecord } from '../../domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../../domain/sessions/session-store.js';
import { hashOpaqueToken, looksLikeOpaqueToken } from '../../domain/tokens/opaque-token.js';

declare module 'fastify' {
  interface Session {
    /** The session as @fastify/session carries it (JSON-safe). */
    state?: SessionRecord;
  }
}


/**
 * Marks a session object whose id is new, so the first save inserts it; every
 * later save is an update that cannot resurrect a destroyed session. A symbol
 * key: @fastify/session neither hashes nor copies it.
 */
export const FRESH = Symbol('fresh session');

type Callback = (error?: unknown) => void;

const unavailable = (cause: unknown) => new AppError('unavailable', 'The session store is unreachable.', { cause });

/**
 * @fastify/session's callback store over a BrowserSessionStore: the raw id
 * from the cookie is hashed here and goes no further.
 */
export function fastifySessionStore(store: BrowserSessionStore) {
  return {
    get(sessionId: string, callback: (error: unknown, session?: Fastify.Session | null) => void) {
      if (!looksLikeOpaqueToken(sessionId)) return callback(null, null);
      store.get(hashOpaqueToken(sessionId)).then(
        (session) => callback(null, session ? ({ state: toSessionRecord(session) } as Fastify.Session) : null),
        (error: unknown) => callback(unavailable(error)),
      );
    },
    set(sessionId: string, session: Fastify.Session & { [FRESH]?: boolean }, callback: Callback) {
      // A session without state is the empty one regenerate() makes before we fill it: nothing to keep yet.
      if (!session.state) return callback();
      const record = fromSessionRecord(session.state);
      const write = session[FRESH] ? store.insert(hashOpaqueToken(sessionId), record) : store.update(hashOpaqueToken(sessionId), record);
      write.then(
        () => {
          session[FRESH] = false;
          callback();
        },
        (error: unknown) => callback(unavailable(error)),
      );
    },
    destroy(sessionId: string, callback: Callback) {
      store.destroy(hashOpaqueToken(sessionId)).then(
        () => callback(),
        (error: unknown) => callback(unavailable(error)),
      );
    },
  };
}
