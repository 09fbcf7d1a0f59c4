import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseHandle } from './database.js';

/**
 * Applies `prisma/migrations/<name>/migration.sql` in order and records each
 * one in `_prisma_migrations` exactly as `prisma migrate deploy` does (same
 * table, same sha256 checksum, same advisory lock id), so either tool can be
 * used on the same database.
 */

// Prisma Migrate's own advisory lock key: the two tools never migrate at once.
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

export async function readMigrations(directory: string): Promise<Migration[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(path.join(directory, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Returns the names of the migrations it applied (empty when the schema was current). */
export async function applyMigrations(database: DatabaseHandle, migrations: readonly Migration[]): Promise<string[]> {
  return database.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    try {
      await session.exec(CREATE_TABLE);
      const rows = await session.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
      );
      const live = rows.filter((row) => row.rolled_back_at === null);
      const applied: string[] = [];
      for (const migration of migrations) {
        const record = live.find((row) => row.migration_name === migration.name);
        if (record?.finished_at) continue;
        if (record) {
          throw new MigrationError(
            `Migration ${migration.name} started but did not finish; resolve it (prisma migrate resolve) before starting again`,
          );
        }
        const id = randomUUID();
        await session.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
          [id, migration.checksum, migration.name],
        );
        // One transaction per migration: a failure leaves the schema as it was.
        await session.exec(`BEGIN;\n${migration.script}\n;COMMIT;`).catch(async (error: unknown) => {
          await session.exec('ROLLBACK').catch(() => {});
          await session.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, String(error)]);
          throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`);
        });
        await session.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]);
    }
  });
}

/** Names of migrations not yet recorded as finished. */
export async function pendingMigrations(database: DatabaseHandle, migrations: readonly Migration[]): Promise<string[]> {
  const [table] = await database.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`,
  );
  if (!table?.exists) return migrations.map((migration) => migration.name);
  const rows = await database.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const done = new Set(rows.map((row) => row.migration_name));
  return migrations.filter((migration) => !done.has(migration.name)).map((migration) => migration.name);
}
