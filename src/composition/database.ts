import path from 'node:path';
import type { Logger } from 'pino';
import { projectRoot, type Config } from '../config/index.js';
import { applyMigrations, pendingMigrations, readMigrations } from '../store/migrations.js';
import { openDatabase, type OpenDatabase } from '../store/open-database.js';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'prisma', 'migrations');

/**
 * Opens the configured database with its schema current. The embedded
 * default migrates itself; on PostgreSQL migrations are a release step (`npm
 * run migrate`, the Helm hook), so a service started on an older schema only
 * says so.
 */
export async function openReadyDatabase(config: Config, log: Pick<Logger, 'info' | 'warn'>): Promise<OpenDatabase> {
  const database = await openDatabase(config);
  try {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    if (config.database.kind === 'embedded') {
      const applied = await applyMigrations(database.handle, migrations);
      if (applied.length > 0) log.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(database.handle, migrations);
      if (pending.length > 0) log.warn({ pending }, 'database schema is behind: run `npm run migrate`');
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}
