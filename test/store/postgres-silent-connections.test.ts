import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../support/databases.js';
import { startBlackholeProxy, type BlackholeProxy } from '../support/blackhole-proxy.js';
import { openPostgres } from '../../src/store/postgres.js';
import type { DatabaseHandle } from '../../src/store/database.js';

if (!TEST_DATABASE_URL) console.log('skipping the silent-connection test: it needs PostgreSQL at TEST_DATABASE_URL');

const TIMEOUT_MS = 500;
const LOCK = 7_700_001;

/**
 * After a failover, connections to the old server often go silent instead of
 * failing: queries time out (query_timeout) and the connection stays open. A
 * connection in that state must never go back into the pool, or every later
 * transaction that draws it fails too, long after the database is back.
 */
describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL connections that go silent', () => {
  let proxy: BlackholeProxy;
  let db: { handle: DatabaseHandle; pool: { totalCount: number } };

  beforeAll(async () => {
    const url = new URL(TEST_DATABASE_URL!);
    proxy = await startBlackholeProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    db = openPostgres({ url: url.toString(), poolSize: 2, timeoutMs: TIMEOUT_MS });
  });
  afterAll(async () => {
    await proxy.close();
    await db.handle.close().catch(() => {});
  });

  const attempt = async (work: () => Promise<unknown>) => {
    const started = Date.now();
    const outcome = await work().then(
      () => 'ok',
      (error: Error) => error.message,
    );
    return { outcome, ms: Date.now() - started };
  };

  it('fail transactions within the timeout, and none of them is handed out again once the database is back', async () => {
    // Two pooled connections, both idle in the pool when the network goes silent.
    await Promise.all([db.handle.transaction((query) => query('SELECT 1')), db.handle.transaction((query) => query('SELECT 1'))]);
    proxy.blackhole();
    const during = await Promise.all([attempt(() => db.handle.transaction((query) => query('SELECT 1'))), attempt(() => db.handle.transaction((query) => query('SELECT 1')))]);
    for (const { outcome, ms } of during) {
      expect(outcome).toBe('Query read timeout');
      // BEGIN times out, then ROLLBACK does: two timeouts at most.
      expect(ms).toBeLessThan(2 * TIMEOUT_MS + 400);
    }

    proxy.restore();
    for (let i = 0; i < 6; i += 1) {
      expect((await attempt(() => db.handle.transaction((query) => query('SELECT 1')))).outcome, `transaction ${i} after the failover`).toBe('ok');
    }
    expect((await attempt(() => db.handle.ping())).outcome).toBe('ok');
  });

  it('close a session that failed, so the next one works at once and a lock it held is not left behind', async () => {
    const holder = attempt(() =>
      db.handle.withSession(async (session) => {
        await session.query('SELECT pg_advisory_lock($1)', [LOCK]);
        proxy.blackhole();
        // The unlock times out, as a pruning round's would during a failover.
        await session.query('SELECT pg_advisory_unlock($1)', [LOCK]);
      }),
    );
    expect((await holder).outcome).toBe('Query read timeout');
    proxy.restore();
    // The next session gets a working connection, and the lock is free (the server ended the old session).
    const locked = await attempt(() =>
      db.handle.withSession(async (session) => {
        const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK]);
        await session.query('SELECT pg_advisory_unlock($1)', [LOCK]);
        if (!row?.locked) throw new Error('the lock is still held');
      }),
    );
    expect(locked.outcome).toBe('ok');
  });
});
