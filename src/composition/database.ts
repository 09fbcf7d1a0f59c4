import path from 'node:path';
import type { Logger } from 'pino';
import { projectRoot, type Config } from '../config/index.js';
import { applyMigrations, MigrationError, pendingMigrations, readMigrations } from '../store/migrations.js';
import { openDatabase, type OpenDatabase } from '../store/open-database.js';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'prisma', 'migrations');

/**
 * Opens the configured database with its schema current. The embedded
 * default migrates itself, and so does PostgreSQL with MIGRATE_ON_START;
 * otherwise migrations are a release step (`npm run migrate`, the Helm hook)
 * and a schema that is behind stops the start with one line, rather than
 * failing later on the first query that needs a missing table or column.
 */
export async function openReadyDatabase(config: Config, log: Pick<Logger, 'info'>): Promise<OpenDatabase> {
  const database = await openDatabase(config);
  try {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    if (config.database.kind === 'embedded' || config.migrateOnStart) {
      const applied = await applyMigrations(database.handle, migrations);
      if (applied.length > 0) log.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(database.handle, migrations);
      if (pending.length > 0) throw new MigrationError(schemaBehind(pending, migrations.length));
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

function schemaBehind(pending: readonly string[], known: number): string {
  const state = pending.length === known ? 'has no schema yet (never migrated)' : `is behind by ${pending.length} migration(s): ${pending.join(', ')}`;
  return `The database ${state}. Run \`npm run migrate\` before starting the service (MIGRATE_ON_START=true migrates at start, for single-instance installs)`;
}
