import { openReadyDatabase } from '../composition/database.js';
import { loadConfig } from '../config/index.js';
import { systemClock } from '../domain/clock.js';
import { signingKeyStatus, type SigningKeyStatus } from '../domain/keys/key-phase.js';
import { createLogger } from '../http/logger.js';
import { createKeyService, keySettings } from '../composition/keys.js';
import { loadMasterKey } from '../store/master-key.js';
import { PostgresSigningKeyStore } from '../store/signing-key-store.js';
import { runCli } from './run-cli.js';

const USAGE = `usage: npm run keys -- list
       npm run keys -- rotate [--compromised]

list                   every signing key: kid, phase and dates (never key material)
rotate                 publish a successor now; it signs after KEY_PREPUBLISH_SECONDS
rotate --compromised   unpublish the signing key at once, reject every token it signed,
                       and sign with a new key immediately`;

runCli(async () => {
  const [command, ...flags] = process.argv.slice(2);
  const compromised = flags.includes('--compromised');
  const known = (command === 'list' && flags.length === 0) || (command === 'rotate' && flags.every((flag) => flag === '--compromised'));
  if (!known) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  // Logs go to stderr so stdout stays the command's answer.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  // As the service does: the embedded database migrates itself, a PostgreSQL schema that is behind is refused.
  const database = await openReadyDatabase(config, log);
  try {
    if (command === 'list') {
      // Listing needs no key-encryption key: it shows dates, nothing that is decrypted.
      const now = systemClock.now();
      const keys = await new PostgresSigningKeyStore(database.handle).list();
      printTable(keys.map((key) => signingKeyStatus(key, now, keySettings(config))).reverse());
      return;
    }
    const service = createKeyService(config, { database: database.handle, masterKey: loadMasterKey(config, log), clock: systemClock, log });
    const result = await service.rotate({ compromised });
    if (result.compromised) process.stdout.write(`Compromised ${result.compromised}: removed from the JWKS, its tokens are rejected\n`);
    if (result.created) {
      const when = result.created.phase === 'active' ? 'signs now' : `signs from ${result.created.activatesAt.toISOString()}`;
      process.stdout.write(`Created ${result.created.kid}: published now, ${when}\n`);
    } else if (!result.compromised) {
      process.stdout.write('A rotation is already under way; nothing to do (see `npm run keys -- list`)\n');
    }
    process.stdout.write('Running replicas pick the change up within seconds.\n');
  } finally {
    await database.close();
  }
});

function printTable(keys: SigningKeyStatus[]): void {
  if (keys.length === 0) {
    process.stdout.write('No signing keys yet: the service creates the first one when it starts.\n');
    return;
  }
  const date = (value: Date | null) => value?.toISOString() ?? '-';
  const rows = [
    ['KID', 'PHASE', 'CREATED', 'ACTIVATES', 'RETIRED', 'REMOVED', 'COMPROMISED'],
    ...keys.map((key) => [key.kid, key.phase, date(key.createdAt), date(key.activatesAt), date(key.retiredAt), date(key.removedAt), date(key.compromisedAt)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
}
