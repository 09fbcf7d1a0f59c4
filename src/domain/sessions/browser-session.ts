import { randomBytes, randomUUID } from 'node:crypto';

/**
 * A browser session as the server keeps it. The cookie carries only a signed
 * random id; the store keeps its hash, never the id itself.
 */
export interface BrowserSession {
  /** Shown in the device list and used to end the session from elsewhere; never the cookie value. */
  readonly publicId: string;
  /** Null for a pre-login session, which only carries the login form's CSRF token. */
  readonly userId: string | null;
  /** Synchronizer token: required in X-CSRF-Token on state-changing requests. */
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** Absolute deadline: never moves. */
  readonly expiresAt: Date;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /** RFC 8176 methods of the sign-in (`pwd`, then `otp` after a second factor); unset on sessions made before they were recorded. */
  readonly amr?: readonly string[];
  /** When the user authenticated (OIDC `auth_time`); unset: `createdAt`. */
  readonly authTime?: Date;
  /** The password was right and a second factor is due: the pending step's token (docs/mfa.md). Server-side only. */
  readonly mfaPending?: string;
}

/** The JSON-safe form of a session (instants as epoch milliseconds), as Redis and the session cookie's state carry it. */
export type SessionRecord = Omit<BrowserSession, 'createdAt' | 'lastSeenAt' | 'expiresAt' | 'authTime'> & {
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly authTime?: number;
};

export const toSessionRecord = ({ authTime, ...session }: BrowserSession): SessionRecord => ({
  ...session,
  createdAt: session.createdAt.getTime(),
  lastSeenAt: session.lastSeenAt.getTime(),
  expiresAt: session.expiresAt.getTime(),
  ...(authTime ? { authTime: authTime.getTime() } : {}),
});

export const fromSessionRecord = ({ authTime, ...record }: SessionRecord): BrowserSession => ({
  ...record,
  createdAt: new Date(record.createdAt),
  lastSeenAt: new Date(record.lastSeenAt),
  expiresAt: new Date(record.expiresAt),
  ...(authTime !== undefined ? { authTime: new Date(authTime) } : {}),
});

/** How and when the session's user authenticated: sessions from before amr was recorded signed in with a password at creation. */
export const authenticationOf = (session: BrowserSession): { amr: readonly string[]; authTime: Date } => ({
  amr: session.amr ?? ['pwd'],
  authTime: session.authTime ?? session.createdAt,
});

export interface SessionLifetimes {
  /** Sliding: a session unused this long is dead. */
  readonly idleSeconds: number;
  /** From login, whatever the use. */
  readonly absoluteSeconds: number;
}

export function openSession(
  input: { userId: string | null; userAgent?: string | null; ip?: string | null },
  now: Date,
  lifetimes: SessionLifetimes,
): BrowserSession {
  return {
    publicId: randomUUID(),
    userId: input.userId,
    csrfToken: randomBytes(32).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + lifetimes.absoluteSeconds * 1000),
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    ip: input.ip ?? null,
  };
}

/** The instant the session dies if it is not used again: the idle deadline, capped by the absolute one. */
export const idleExpiresAt = (session: Pick<BrowserSession, 'lastSeenAt' | 'expiresAt'>, lifetimes: SessionLifetimes): Date =>
  new Date(Math.min(session.lastSeenAt.getTime() + lifetimes.idleSeconds * 1000, session.expiresAt.getTime()));

/** Both timeouts, enforced on the server whatever the cookie says. */
export const isSessionLive = (session: Pick<BrowserSession, 'lastSeenAt' | 'expiresAt'>, now: Date, lifetimes: SessionLifetimes): boolean =>
  now.getTime() < idleExpiresAt(session, lifetimes).getTime();

/**
 * Sliding the idle deadline costs a write, so it moves at most every tenth of
 * the idle timeout (at most once a minute): a session may end up to that much
 * before its nominal idle deadline, never after it.
 */
export const touchIntervalMs = (lifetimes: SessionLifetimes): number => Math.min(60_000, lifetimes.idleSeconds * 100);

export const needsTouch = (session: Pick<BrowserSession, 'lastSeenAt'>, now: Date, lifetimes: SessionLifetimes): boolean =>
  now.getTime() - session.lastSeenAt.getTime() >= touchIntervalMs(lifetimes);
