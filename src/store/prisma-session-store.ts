import type { Clock } from '../domain/clock.js';
import { idleExpiresAt, isSessionLive, type BrowserSession, type SessionLifetimes } from '../domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../domain/sessions/session-store.js';
import type { BrowserSession as SessionRow, PrismaClient } from './prisma/generated/client.js';

/** What the JSON `data` column holds: the session's server-side secrets, and how the user authenticated. */
interface SessionData {
  csrfToken: string;
  amr?: readonly string[];
  authTime?: number;
  mfaPending?: string;
}

const toSession = (row: SessionRow): BrowserSession => {
  const { csrfToken, amr, authTime, mfaPending } = row.data as unknown as SessionData;
  return {
    publicId: row.publicId,
    userId: row.userId,
    csrfToken,
    createdAt: row.createdAt,
    lastSeenAt: row.lastSeenAt,
    expiresAt: row.expiresAt,
    userAgent: row.userAgent,
    ip: row.ip,
    ...(amr ? { amr } : {}),
    ...(authTime !== undefined ? { authTime: new Date(authTime) } : {}),
    ...(mfaPending ? { mfaPending } : {}),
  };
};

const dataOf = (session: BrowserSession): SessionData => ({
  csrfToken: session.csrfToken,
  ...(session.amr ? { amr: session.amr } : {}),
  ...(session.authTime ? { authTime: session.authTime.getTime() } : {}),
  ...(session.mfaPending ? { mfaPending: session.mfaPending } : {}),
});

/**
 * Browser sessions in the database (the default store). The primary key is
 * the hash of the session id, so a copy of the table cannot be replayed as
 * cookies. Expired rows are invisible at once and deleted by the pruning job.
 */
export class PrismaSessionStore implements BrowserSessionStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly lifetimes: SessionLifetimes,
  ) {}

  private liveWhere(now: Date) {
    return { idleExpiresAt: { gt: now }, expiresAt: { gt: now } };
  }

  async get(idHash: string): Promise<BrowserSession | undefined> {
    const row = await this.prisma.browserSession.findUnique({ where: { idHash } });
    if (!row) return undefined;
    const session = toSession(row);
    return isSessionLive(session, this.clock.now(), this.lifetimes) ? session : undefined;
  }

  async insert(idHash: string, session: BrowserSession): Promise<void> {
    await this.prisma.browserSession.create({
      data: {
        idHash,
        publicId: session.publicId,
        userId: session.userId,
        data: { ...dataOf(session) },
        userAgent: session.userAgent,
        ip: session.ip,
        createdAt: session.createdAt,
        lastSeenAt: session.lastSeenAt,
        idleExpiresAt: idleExpiresAt(session, this.lifetimes),
        expiresAt: session.expiresAt,
      },
    });
  }

  async update(idHash: string, session: BrowserSession): Promise<void> {
    // updateMany: zero rows when the session was destroyed meanwhile, never a re-insert.
    await this.prisma.browserSession.updateMany({
      where: { idHash },
      // `data` too: a pre-login session records its pending second-factor step (docs/mfa.md).
      data: { lastSeenAt: session.lastSeenAt, idleExpiresAt: idleExpiresAt(session, this.lifetimes), userAgent: session.userAgent, ip: session.ip, data: { ...dataOf(session) } },
    });
  }

  async destroy(idHash: string): Promise<void> {
    await this.prisma.browserSession.deleteMany({ where: { idHash } });
  }

  async listByUser(userId: string): Promise<BrowserSession[]> {
    const rows = await this.prisma.browserSession.findMany({
      where: { userId, ...this.liveWhere(this.clock.now()) },
      orderBy: { lastSeenAt: 'desc' },
    });
    return rows.map(toSession);
  }

  async destroyByPublicId(userId: string, publicId: string): Promise<boolean> {
    const { count } = await this.prisma.browserSession.deleteMany({ where: { userId, publicId, ...this.liveWhere(this.clock.now()) } });
    return count > 0;
  }

  async destroyByUser(userId: string, exceptPublicId?: string): Promise<number> {
    const { count } = await this.prisma.browserSession.deleteMany({
      where: { userId, ...this.liveWhere(this.clock.now()), ...(exceptPublicId ? { publicId: { not: exceptPublicId } } : {}) },
    });
    return count;
  }
}
