import type { BrowserSession, SessionLifetimes } from './browser-session.js';

/**
 * Server-side browser sessions, keyed by the hash of the session id. Every
 * read checks both timeouts against the injected clock, so an expired session
 * is never returned whatever the backing store still holds.
 */
export interface BrowserSessionStore {
  get(idHash: string): Promise<BrowserSession | undefined>;
  /** Writes a session made by openSession (a new id). */
  insert(idHash: string, session: BrowserSession): Promise<void>;
  /**
   * Writes back a session that already exists; does nothing when it was
   * destroyed meanwhile, so a request finishing after a revocation cannot
   * bring its session back.
   */
  update(idHash: string, session: BrowserSession): Promise<void>;
  destroy(idHash: string): Promise<void>;
  /** The user's live sessions (pre-login sessions have no user and never appear). */
  listByUser(userId: string): Promise<BrowserSession[]>;
  /** Ends one of the user's sessions by its public id; false when the user has no such live session. */
  destroyByPublicId(userId: string, publicId: string): Promise<boolean>;
  /** Ends every session of the user but `exceptPublicId`; answers how many. */
  destroyByUser(userId: string, exceptPublicId?: string): Promise<number>;
}

export type { SessionLifetimes };
