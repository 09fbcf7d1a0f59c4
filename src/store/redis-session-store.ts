import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import {
  fromSessionRecord,
  idleExpiresAt,
  isSessionLive,
  toSessionRecord,
  type BrowserSession,
  type SessionLifetimes,
  type SessionRecord,
} from '../domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../domain/sessions/session-store.js';

/**
 * Browser sessions in Redis, shared by every replica. A small store of our
 * own rather than connect-redis: keys are the hash of the session id (a dump
 * of Redis holds no usable cookie), each user has an index set for the device
 * list and logout-everywhere, expiry follows the injected clock like the
 * database store, and an update can never re-create a destroyed session
 * (`SET … XX`). Redis TTLs only collect garbage.
 *
 * Keys: `<prefix>s:<idHash>` → JSON, `<prefix>u:<userId>` → set of idHashes.
 */
export class RedisSessionStore implements BrowserSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly lifetimes: SessionLifetimes,
    private readonly prefix = 'idsvc:session:',
  ) {}

  private sessionKey = (idHash: string) => `${this.prefix}s:${idHash}`;
  private userKey = (userId: string) => `${this.prefix}u:${userId}`;

  /** Milliseconds the record must survive: until its idle deadline, at least one. */
  private ttlMs(session: BrowserSession): number {
    return Math.max(1, idleExpiresAt(session, this.lifetimes).getTime() - this.clock.now().getTime());
  }

  private live(raw: string | null): BrowserSession | undefined {
    if (!raw) return undefined;
    const session = fromSessionRecord(JSON.parse(raw) as SessionRecord);
    return isSessionLive(session, this.clock.now(), this.lifetimes) ? session : undefined;
  }

  async get(idHash: string): Promise<BrowserSession | undefined> {
    return this.live(await this.redis.get(this.sessionKey(idHash)));
  }

  async insert(idHash: string, session: BrowserSession): Promise<void> {
    const multi = this.redis.multi().set(this.sessionKey(idHash), JSON.stringify(toSessionRecord(session)), 'PX', this.ttlMs(session));
    if (session.userId) {
      const userKey = this.userKey(session.userId);
      // Every session in the index dies within one absolute lifetime from now.
      multi.sadd(userKey, idHash).pexpire(userKey, this.lifetimes.absoluteSeconds * 1000);
    }
    await multi.exec();
  }

  async update(idHash: string, session: BrowserSession): Promise<void> {
    await this.redis.set(this.sessionKey(idHash), JSON.stringify(toSessionRecord(session)), 'PX', this.ttlMs(session), 'XX');
  }

  async destroy(idHash: string): Promise<void> {
    const key = this.sessionKey(idHash);
    const raw = await this.redis.get(key);
    const userId = raw ? (JSON.parse(raw) as SessionRecord).userId : null;
    const multi = this.redis.multi().del(key);
    if (userId) multi.srem(this.userKey(userId), idHash);
    await multi.exec();
  }

  /** The user's sessions with their id hashes; prunes index entries whose session is gone. */
  private async entries(userId: string): Promise<{ idHash: string; session: BrowserSession }[]> {
    const userKey = this.userKey(userId);
    const hashes = await this.redis.smembers(userKey);
    if (hashes.length === 0) return [];
    const values = await this.redis.mget(hashes.map(this.sessionKey));
    const entries: { idHash: string; session: BrowserSession }[] = [];
    const gone: string[] = [];
    hashes.forEach((idHash, i) => {
      const raw = values[i] ?? null;
      if (!raw) return void gone.push(idHash);
      const session = this.live(raw);
      if (session && session.userId === userId) entries.push({ idHash, session });
    });
    if (gone.length > 0) await this.redis.srem(userKey, ...gone);
    return entries;
  }

  async listByUser(userId: string): Promise<BrowserSession[]> {
    return (await this.entries(userId)).map((entry) => entry.session).sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
  }

  async destroyByPublicId(userId: string, publicId: string): Promise<boolean> {
    const entry = (await this.entries(userId)).find((candidate) => candidate.session.publicId === publicId);
    if (!entry) return false;
    await this.redis.multi().del(this.sessionKey(entry.idHash)).srem(this.userKey(userId), entry.idHash).exec();
    return true;
  }

  async destroyByUser(userId: string, exceptPublicId?: string): Promise<number> {
    const doomed = (await this.entries(userId)).filter((entry) => entry.session.publicId !== exceptPublicId);
    if (doomed.length === 0) return 0;
    const hashes = doomed.map((entry) => entry.idHash);
    await this.redis.multi().del(...hashes.map(this.sessionKey)).srem(this.userKey(userId), ...hashes).exec();
    return doomed.length;
  }
}
