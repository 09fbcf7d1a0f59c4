import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { ManualClock } from '../../src/domain/clock.js';
import type { KeyService } from '../../src/domain/keys/key-service.js';
import { createKeyService } from '../../src/composition/keys.js';
import { loadMasterKey } from '../../src/store/master-key.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { openDatabase, type OpenDatabase } from '../../src/store/open-database.js';
import { PostgresSigningKeyStore } from '../../src/store/signing-key-store.js';
import { postgresTarget, TEST_DATABASE_URL } from '../support/databases.js';

const DAY = 86_400;
const silent = { info() {}, warn() {}, error() {} };

if (!TEST_DATABASE_URL) console.log('signing-key rotation across replicas: skipped, it needs TEST_DATABASE_URL (PGlite has one connection, so nothing can race)');

/** Replicas sharing one PostgreSQL database, each with its own connection pool. */
describe.skipIf(!TEST_DATABASE_URL)('signing-key rotation across replicas on PostgreSQL', () => {
  let drop: () => Promise<void>;
  let config: Config;
  const pools: OpenDatabase[] = [];

  beforeAll(async () => {
    const database = await postgresTarget.create();
    drop = database.drop;
    config = loadConfig({ LOG_LEVEL: 'silent', ...database.env });
    const db = await openDatabase(config);
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    await db.close();
  });
  afterAll(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
    await drop();
  });

  async function replicas(count: number, clock: ManualClock): Promise<KeyService[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const pool = await openDatabase(config);
        pools.push(pool);
        return createKeyService(config, { database: pool.handle, masterKey: loadMasterKey(config, silent), clock, log: silent });
      }),
    );
  }

  const storedKeys = async () => {
    const pool = await openDatabase(config);
    try {
      return await new PostgresSigningKeyStore(pool.handle).list();
    } finally {
      await pool.close();
    }
  };

  it('two replicas starting at once on an empty database create exactly one key and sign with it', async () => {
    const clock = new ManualClock();
    const apps = await Promise.all([buildApp(config, { clock }), buildApp(config, { clock })]);
    try {
      const keys = await storedKeys();
      expect(keys).toHaveLength(1);
      const signing = await Promise.all(apps.map(async (app) => (await app.keyRing.signingKey()).kid));
      expect(signing).toEqual([keys[0]!.kid, keys[0]!.kid]);
      const bodies = await Promise.all(apps.map(async (app) => (await app.inject('/.well-known/jwks.json')).body));
      expect(bodies[0]).toBe(bodies[1]);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('scheduled and on-demand rotations racing on several replicas create exactly one successor', async () => {
    const clock = new ManualClock();
    const services = await replicas(3, clock);
    await Promise.all(services.map((service) => service.reload()));
    const before = await storedKeys();
    clock.advance(31 * DAY);

    const results = await Promise.all(services.flatMap((service) => [service.checkRotation(), service.rotate(), service.checkRotation(), service.rotate()]));
    const created = results.flatMap((result) => (result?.created ? [result.created.kid] : []));
    expect(created).toHaveLength(1);
    const after = await storedKeys();
    expect(after).toHaveLength(before.length + 1);

    // Every replica publishes the successor and hands over to it at the same instant.
    expect(await Promise.all(services.map(async (service) => (await service.signingKey()).kid))).toEqual(services.map(() => before[0]!.kid));
    clock.advance(config.keys.prepublishSeconds);
    expect(await Promise.all(services.map(async (service) => (await service.signingKey()).kid))).toEqual(services.map(() => created[0]));
  });

  it('emergency rotations of the same leaked key racing on several replicas compromise it once and create one new key', async () => {
    const clock = new ManualClock(Date.UTC(2030, 2, 15));
    const services = await replicas(3, clock);
    await Promise.all(services.map((service) => service.reload()));
    const leaked = (await services[0]!.signingKey()).kid;
    const before = await storedKeys();

    const results = await Promise.all(services.flatMap((service) => [service.rotate({ compromised: true, kid: leaked }), service.rotate({ compromised: true, kid: leaked })]));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(results.filter((result) => result.compromised)).toHaveLength(1);
    const after = await storedKeys();
    expect(after).toHaveLength(before.length + 1);
    expect(after.find((key) => key.kid === leaked)?.compromisedAt).not.toBeNull();
    const replacement = results.find((result) => result.created)!.created!.kid;
    for (const service of services) {
      expect((await service.signingKey()).kid).toBe(replacement);
      expect(await service.verificationKey(leaked)).toBeUndefined();
    }
  });
});
