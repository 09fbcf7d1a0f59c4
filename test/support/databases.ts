import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The databases every integration suite runs against: always the embedded
 * default, and the real PostgreSQL at TEST_DATABASE_URL when it is set (CI
 * sets it). Each suite gets a database of its own.
 */
export interface DatabaseTarget {
  name: 'embedded' | 'postgres';
  /** Environment for loadConfig pointing at a fresh, empty database. */
  create(): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export const embeddedTarget: DatabaseTarget = {
  name: 'embedded',
  async create() {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'idsvc-test-'));
    return { env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

export const postgresTarget: DatabaseTarget = {
  name: 'postgres',
  async create() {
    if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
    const name = `idsvc_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'idsvc-test-'));
    return {
      env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      async drop() {
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const databaseTargets: DatabaseTarget[] = TEST_DATABASE_URL ? [embeddedTarget, postgresTarget] : [embeddedTarget];

if (!TEST_DATABASE_URL) {
  console.log('TEST_DATABASE_URL is not set: integration suites run on the embedded database only');
}
