import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase } from '../../src/store/open-database.js';
import { databaseTargets } from '../support/databases.js';

describe.each(databaseTargets)('openDatabase ($name)', (target) => {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await target.create());
  });
  afterAll(() => drop());

  it('makes the Prisma client once, on first use, over the same database as the handle', async () => {
    const db = await openDatabase(loadConfig(env));
    try {
      const [first, second] = await Promise.all([db.prisma(), db.prisma()]);
      expect(first).toBe(second);
      const [row] = await first.$queryRaw<{ answer: number }[]>`SELECT 41 + 1 AS answer`;
      expect(row?.answer).toBe(42);
    } finally {
      await db.close();
    }
  });

  it('closes without ever making one', async () => {
    const db = await openDatabase(loadConfig(env));
    expect((await db.handle.query<{ one: number }>('SELECT 1 AS one'))[0]?.one).toBe(1);
    await expect(db.close()).resolves.toBeUndefined();
  });
});
