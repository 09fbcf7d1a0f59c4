import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/domain/clock.js';
import { openSession, type SessionLifetimes } from '../../src/domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../../src/domain/sessions/session-store.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { openDatabase, type OpenDatabase } from '../../src/store/open-database.js';
import { PrismaSessionStore } from '../../src/store/prisma-session-store.js';
import { RedisSessionStore } from '../../src/store/redis-session-store.js';
import { databaseTargets } from '../support/databases.js';

const REDIS_URL = process.env.REDIS_URL;
const lifetimes: SessionLifetimes = { idleSeconds: 1800, absoluteSeconds: 43200 };

interface StoreUnderTest {
  store: BrowserSessionStore;
  clock: ManualClock;
  /** A user id the store accepts (the database needs a users row). */
  newUser(): Promise<string>;
  close(): Promise<void>;
}

const implementations: { name: string; open(): Promise<StoreUnderTest> }[] = databaseTargets.map((target) => ({
  name: `PrismaSessionStore on ${target.name}`,
  async open() {
    const created = await target.create();
    const config = loadConfig(created.env);
    const db: OpenDatabase = await openDatabase(config);
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    const clock = new ManualClock();
    return {
      store: new PrismaSessionStore(await db.prisma(), clock, lifetimes),
      clock,
      async newUser() {
        const id = randomUUID();
        await db.handle.query(
          `INSERT INTO users (id, email, email_normalized, password_hash, password_changed_at, created_at, updated_at) VALUES ($1, $2, $2, 'x', now(), now(), now())`,
          [id, `${id}@example.test`],
        );
        return id;
      },
      async close() {
        await db.close();
        await created.drop();
      },
    };
  },
}));

if (REDIS_URL) {
  implementations.push({
    name: 'RedisSessionStore',
    async open() {
      const redis = new Redis(REDIS_URL);
      const clock = new ManualClock();
      const prefix = `idsvc-test:${randomBytes(4).toString('hex')}:`;
      return {
        store: new RedisSessionStore(redis, clock, lifetimes, prefix),
        clock,
        newUser: async () => randomUUID(),
        async close() {
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length) await redis.del(...keys);
          await redis.quit();
        },
      };
    },
  });
} else {
  console.log('REDIS_URL is not set: the RedisSessionStore contract suite is skipped');
}

const hash = () => randomBytes(32).toString('base64url');

describe.each(implementations)('BrowserSessionStore contract: $name', (implementation) => {
  let s: StoreUnderTest;
  beforeAll(async () => {
    s = await implementation.open();
  });
  afterAll(() => s.close());

  const open = (userId: string | null) => openSession({ userId, userAgent: 'UA', ip: '192.0.2.1' }, s.clock.now(), lifetimes);

  it('keeps what it was given and answers nothing for an unknown hash', async () => {
    const userId = await s.newUser();
    const session = open(userId);
    const idHash = hash();
    await s.store.insert(idHash, session);
    expect(await s.store.get(idHash)).toEqual(session);
    expect(await s.store.get(hash())).toBeUndefined();
  });

  it('keeps how the user signed in, and a pending second-factor step written by an update (docs/mfa.md)', async () => {
    const userId = await s.newUser();
    const signedIn = { ...open(userId), amr: ['pwd', 'otp'], authTime: new Date(s.clock.now().getTime() - 1000) };
    const idHash = hash();
    await s.store.insert(idHash, signedIn);
    expect(await s.store.get(idHash)).toEqual(signedIn);
    const preLogin = hash();
    await s.store.insert(preLogin, open(null));
    const pending = { ...(await s.store.get(preLogin))!, mfaPending: 'pending-step-token' };
    await s.store.update(preLogin, pending);
    expect(await s.store.get(preLogin)).toEqual(pending);
  });

  it('hides a session past its idle deadline, and one past its absolute deadline even when used', async () => {
    const userId = await s.newUser();
    const idle = hash();
    const used = hash();
    const session = open(userId);
    await s.store.insert(idle, session);
    await s.store.insert(used, open(userId));
    s.clock.advance(1799);
    expect(await s.store.get(idle)).toBeDefined();
    for (let elapsed = 1799; elapsed < 43200; elapsed += 1500) {
      const current = (await s.store.get(used))!;
      await s.store.update(used, { ...current, lastSeenAt: s.clock.now() });
      s.clock.advance(1500);
    }
    expect(await s.store.get(idle)).toBeUndefined();
    expect(await s.store.get(used)).toBeUndefined();
    expect(await s.store.listByUser(userId)).toEqual([]);
  });

  it('never re-creates a destroyed session on update', async () => {
    const userId = await s.newUser();
    const idHash = hash();
    const session = open(userId);
    await s.store.insert(idHash, session);
    await s.store.destroy(idHash);
    await s.store.update(idHash, { ...session, lastSeenAt: s.clock.now() });
    expect(await s.store.get(idHash)).toBeUndefined();
  });

  it("lists and ends a user's sessions, never another user's or a pre-login one", async () => {
    const [alice, bob] = [await s.newUser(), await s.newUser()];
    const a1 = open(alice);
    const a2 = open(alice);
    const a3 = open(alice);
    const b1 = open(bob);
    const hashes = [hash(), hash(), hash(), hash(), hash()];
    await s.store.insert(hashes[0]!, a1);
    await s.store.insert(hashes[1]!, a2);
    await s.store.insert(hashes[2]!, a3);
    await s.store.insert(hashes[3]!, b1);
    await s.store.insert(hashes[4]!, open(null));
    expect((await s.store.listByUser(alice)).map((x) => x.publicId).sort()).toEqual([a1.publicId, a2.publicId, a3.publicId].sort());

    expect(await s.store.destroyByPublicId(alice, b1.publicId)).toBe(false);
    expect(await s.store.destroyByPublicId(alice, a1.publicId)).toBe(true);
    expect(await s.store.get(hashes[0]!)).toBeUndefined();

    expect(await s.store.destroyByUser(alice, a2.publicId)).toBe(1);
    expect((await s.store.listByUser(alice)).map((x) => x.publicId)).toEqual([a2.publicId]);
    expect(await s.store.destroyByUser(alice)).toBe(1);
    expect(await s.store.listByUser(alice)).toEqual([]);
    expect(await s.store.get(hashes[3]!)).toEqual(b1);
    expect(await s.store.get(hashes[4]!)).toBeDefined();
  });
});
