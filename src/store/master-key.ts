import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config/index.js';

const FILE_NAME = 'key-encryption-key';

/**
 * The master key from KEY_ENCRYPTION_KEY (a Kubernetes Secret in production).
 * The embedded default generates one into DATA_DIR on first start and says so;
 * replicas on PostgreSQL must share one, so there it is required.
 */
export function loadMasterKey(config: Pick<Config, 'keyEncryptionKey' | 'dataDir' | 'database'>, log: Pick<Logger, 'warn' | 'info'>): Buffer {
  if (config.keyEncryptionKey) return Buffer.from(config.keyEncryptionKey, 'base64');
  if (config.database.kind === 'postgres') {
    throw new ConfigError('Invalid configuration: KEY_ENCRYPTION_KEY is required with DATABASE_URL (every replica must share it)');
  }
  const file = path.join(config.dataDir, FILE_NAME);
  try {
    const stored = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (stored.length !== 32) throw new ConfigError(`${file} does not hold a base64 32-byte key`);
    log.info({ file }, 'using the key-encryption key kept in DATA_DIR (set KEY_ENCRYPTION_KEY in production)');
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  log.warn({ file }, 'generated a key-encryption key in DATA_DIR; set KEY_ENCRYPTION_KEY in production');
  return key;
}
