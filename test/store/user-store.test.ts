import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig } from '../../src/config/index.js';
import { PostgresAuditLog } from '../../src/store/audit-log.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { openDatabase, type OpenDatabase } from '../../src/store/open-database.js';
import { PostgresAuditTrail } from '../../src/store/user-directory.js';
import { PostgresUserStore } from '../../src/store/user-store.js';
import { databaseTargets } from '../support/databases.js';

const at = (iso: string) => new Date(iso);

describe.each(databaseTargets)('PostgresUserStore and PostgresAuditLog ($name)', (target) => {
  let db: OpenDatabase;
  let users: PostgresUserStore;
  beforeAll(async () => {
    const created = await target.create();
    db = await openDatabase(loadConfig(created.env));
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    users = new PostgresUserStore(db.handle);
  });
  afterAll(() => db.close());

  const newUser = async (roles: string[] = ['user']) => {
    const id = randomUUID();
    const email = `${id}@Example.test`;
    expect(await users.create({ id, email, emailNormalized: email.toLowerCase(), passwordHash: 'hash-1', roles, createdAt: at('2026-01-01T00:00:00Z') })).toBe(true);
    return { id, email };
  };
  const row = async (id: string) =>
    (await db.handle.query<{ failed_login_count: number; locked_until: Date | null; password_changed_at: Date; updated_at: Date }>(
      'SELECT failed_login_count, locked_until, password_changed_at, updated_at FROM users WHERE id = $1',
      [id],
    ))[0]!;

  it('creates a user once per normalised email, and reads it back by email and by id', async () => {
    const { id, email } = await newUser(['user', 'admin']);
    expect(await users.create({ id: randomUUID(), email: email.toUpperCase(), emailNormalized: email.toLowerCase(), passwordHash: 'other', roles: ['user'], createdAt: new Date() })).toBe(false);
    const expected = { id, email, emailNormalized: email.toLowerCase(), passwordHash: 'hash-1', roles: ['user', 'admin'], disabledAt: null, emailVerifiedAt: null, createdAt: at('2026-01-01T00:00:00Z') };
    expect(await users.findByEmail(email.toLowerCase())).toEqual(expected);
    expect(await users.findById(id)).toEqual(expected);
    expect(await users.findById(randomUUID())).toBeUndefined();
  });

  it('reserves at most maxFailures attempts, locks only when exhausted, and clears on success', async () => {
    const { id } = await newUser();
    const now = at('2026-02-01T00:00:00Z');
    expect(await users.lockIfExhausted(id, 3, at('2026-02-01T00:15:00Z'), now)).toBe(false);
    expect([await users.reserveAttempt(id, now, 3), await users.reserveAttempt(id, now, 3), await users.reserveAttempt(id, now, 3)]).toEqual([true, true, true]);
    expect(await users.reserveAttempt(id, now, 3)).toBe(false);
    expect(await users.lockIfExhausted(id, 3, at('2026-02-01T00:15:00Z'), now)).toBe(true);
    expect(await row(id)).toMatchObject({ failed_login_count: 0, locked_until: at('2026-02-01T00:15:00Z') });
    expect(await users.reserveAttempt(id, at('2026-02-01T00:14:59Z'), 3)).toBe(false);
    expect(await users.reserveAttempt(id, at('2026-02-01T00:15:00Z'), 3)).toBe(true);
    expect(await row(id)).toMatchObject({ failed_login_count: 1, locked_until: null });
    await users.clearFailures(id, at('2026-02-01T00:16:00Z'));
    expect(await row(id)).toMatchObject({ failed_login_count: 0, updated_at: at('2026-02-01T00:16:00Z') });
  });

  it('keeps password_changed_at for a rehash of the same password', async () => {
    const { id } = await newUser();
    await users.rehashPassword(id, 'rehashed', at('2026-03-01T00:00:00Z'));
    expect(await row(id)).toMatchObject({ password_changed_at: at('2026-01-01T00:00:00Z'), updated_at: at('2026-03-01T00:00:00Z') });
    expect((await users.findById(id))?.passwordHash).toBe('rehashed');
  });

  it('disables a user, and says when there is none', async () => {
    const { id } = await newUser();
    expect(await users.disable(id, at('2026-04-01T00:00:00Z'))).toBe(true);
    expect((await users.findById(id))?.disabledAt).toEqual(at('2026-04-01T00:00:00Z'));
    expect(await users.disable(randomUUID(), new Date())).toBe(false);
  });

  it('records audit events with their detail as JSON', async () => {
    const { id } = await newUser();
    await new PostgresAuditLog(db.handle).record({ type: 'login_failed', userId: id, clientId: 'mobile', ip: '192.0.2.1', detail: { reason: 'locked', failures: 5 }, at: at('2026-05-01T00:00:00Z') });
    const rows = await db.handle.query('SELECT type, user_id, client_id, family_id, ip, detail, created_at FROM audit_events WHERE user_id = $1', [id]);
    expect(rows).toEqual([{ type: 'login_failed', user_id: id, client_id: 'mobile', family_id: null, ip: '192.0.2.1', detail: { reason: 'locked', failures: 5 }, created_at: at('2026-05-01T00:00:00Z') }]);
  });

  it("reads a user's audit trail newest first by event id, across pages, whatever the ids' digit counts", async () => {
    const { id } = await newUser();
    // Ids 8 to 12 straddle a change of digit count, where text order (…, 9, 12, 11, 10, 8) would differ from numeric order.
    for (const eventId of [8, 9, 10, 11, 12]) {
      await db.handle.query(`INSERT INTO audit_events (id, type, user_id, detail, created_at) VALUES ($1, 'login_succeeded', $2, '{}', $3)`, [eventId, id, at('2026-06-01T00:00:00Z')]);
    }
    const trail = new PostgresAuditTrail(db.handle);
    const first = await trail.listByUser(id, { limit: 3 });
    const rest = await trail.listByUser(id, { limit: 3, beforeId: first.at(-1)!.id });
    expect([...first, ...rest].map((event) => event.id)).toEqual(['12', '11', '10', '9', '8']);
  });
});
