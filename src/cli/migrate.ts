import { MIGRATIONS_DIR } from '../composition/database.js';
import { loadConfig } from '../config/index.js';
import { openDatabase } from '../store/open-database.js';
import { applyMigrations, readMigrations } from '../store/migrations.js';
import { runCli } from './run-cli.js';

runCli(async () => {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const applied = await applyMigrations(database.handle, await readMigrations(MIGRATIONS_DIR));
    process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database schema is up to date\n');
  } finally {
    await database.close();
  }
});
