import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig } from '../../src/config/index.js';
import type { MailMessage } from '../../src/domain/mail/mail-message.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { openDatabase, type OpenDatabase } from '../../src/store/open-database.js';
import { outboxWriter, PostgresOutbox } from '../../src/store/outbox-store.js';
import { databaseTargets, postgresTarget, TEST_DATABASE_URL, type DatabaseTarget } from '../support/databases.js';

const at = (iso: string) => new Date(iso);
const T0 = at('2030-01-01T00:00:00Z');
const plus = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const message = (to: string): MailMessage => ({ kind: 'password_reset', to, subject: `to ${to}`, text: 'link token', html: '<p>link token</p>' });

/** A fresh, migrated database of `target` for the suite, handed to `use` before the first test. */
function useMigratedOutbox(target: DatabaseTarget, use: (opened: { db: OpenDatabase; outbox: PostgresOutbox }) => void) {
  let db: OpenDatabase | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const created = await target.create();
    drop = created.drop;
    db = await openDatabase(loadConfig(created.env));
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    use({ db, outbox: new PostgresOutbox(db.handle) });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
}

describe.each(databaseTargets)('PostgresOutbox ($name)', (target) => {
  let db: OpenDatabase;
  let outbox: PostgresOutbox;
  useMigratedOutbox(target, (opened) => ({ db, outbox } = opened));

  const rows = () =>
    db.handle.query<{ recipient: string; status: string; attempts: number; text_body: string | null; html_body: string | null; last_error: string | null }>(
      'SELECT recipient, status, attempts, text_body, html_body, last_error FROM outbox_messages ORDER BY recipient',
    );

  it('writes nothing when the transaction it belongs to rolls back', async () => {
    await expect(
      db.handle.transaction(async (query) => {
        await outboxWriter(query).enqueue(message('rolled-back@example.test'), T0, plus(3600));
        throw new Error('the event failed');
      }),
    ).rejects.toThrow('the event failed');
    expect(await rows()).toEqual([]);
  });

  it('leases what it claims: due again only after the lease, each claim counting an attempt', async () => {
    await db.handle.transaction(async (query) => {
      for (const to of ['a@example.test', 'b@example.test', 'c@example.test']) await outboxWriter(query).enqueue(message(to), T0, plus(3600));
    });
    const first = await outbox.claimDue(T0, plus(120), 2);
    const second = await outbox.claimDue(T0, plus(120), 10);
    expect(first.map((m) => m.to).concat(second.map((m) => m.to)).sort()).toEqual(['a@example.test', 'b@example.test', 'c@example.test']);
    expect(first[0]).toMatchObject({ kind: 'password_reset', text: 'link token', attempts: 1, giveUpAt: plus(3600) });
    expect(await outbox.claimDue(plus(119), plus(240), 10)).toEqual([]);
    expect((await outbox.claimDue(plus(120), plus(240), 10)).map((m) => m.attempts)).toEqual([2, 2, 2]);
  });

  it('erases the bodies of sent and given-up messages, keeps the error, and prunes them after the cutoff', async () => {
    const [a, b, c] = (await outbox.claimDue(plus(240), plus(360), 10)).sort((x, y) => x.to.localeCompare(y.to));
    await outbox.markSent(a!.id, plus(241));
    await outbox.markFailed(b!.id, plus(241), 'ECONNECTION connect refused');
    await outbox.retryAt(c!.id, plus(300), 'EAUTH 535');
    expect(await rows()).toEqual([
      { recipient: 'a@example.test', status: 'sent', attempts: 3, text_body: null, html_body: null, last_error: null },
      { recipient: 'b@example.test', status: 'failed', attempts: 3, text_body: null, html_body: null, last_error: 'ECONNECTION connect refused' },
      { recipient: 'c@example.test', status: 'pending', attempts: 3, text_body: 'link token', html_body: '<p>link token</p>', last_error: 'EAUTH 535' },
    ]);
    expect(await outbox.claimDue(plus(299), plus(400), 10)).toEqual([]);
    expect(await outbox.pruneFinished(plus(240), 100)).toBe(0);
    expect(await outbox.pruneFinished(plus(241), 100)).toBe(2);
    expect((await rows()).map((row) => row.recipient)).toEqual(['c@example.test']);
  });
});

if (!TEST_DATABASE_URL) console.log('skipping the concurrent-claims test: it needs PostgreSQL at TEST_DATABASE_URL (the embedded database has one connection)');

describe.skipIf(!TEST_DATABASE_URL)('PostgresOutbox under concurrent claims (postgres)', () => {
  let db: OpenDatabase;
  let outbox: PostgresOutbox;
  useMigratedOutbox(postgresTarget, (opened) => ({ db, outbox } = opened));

  it('never hands one message to two concurrent claims (SKIP LOCKED)', async () => {
    await db.handle.transaction(async (query) => {
      for (let i = 0; i < 30; i++) await outboxWriter(query).enqueue(message(`m${i}@example.test`), T0, plus(3600));
    });
    const claims = await Promise.all(Array.from({ length: 6 }, () => outbox.claimDue(T0, plus(120), 10)));
    const ids = claims.flat().map((m) => m.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });
});
