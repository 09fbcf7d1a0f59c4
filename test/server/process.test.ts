import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { databaseTargets, postgresTarget, TEST_DATABASE_URL } from '../support/databases.js';
import { browserLogin, CHEAP_ARGON2, http, runCli, signUp, stopService } from '../support/deploy.js';
import { SERVER_ENTRY, freePort, spawnService, waitFor } from '../support/process.js';

const STARTUP_BOUND_MS = 40_000;

// These tests run the compiled service as an operator would; `npm test` builds it first.
describe('the service process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idsvc-process-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is built', () => {
    expect(existsSync(SERVER_ENTRY), `${SERVER_ENTRY} is missing: run npm run build`).toBe(true);
  });

  it('starts on the embedded default, persists its data, and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const first = spawnService({ DATA_DIR: dataDir }, await freePort());
    // A first start creates the database (PGlite's initdb): about 3 s on an idle machine, far more
    // while the rest of the suite loads both cores, hence the generous bound here.
    await waitFor(`${first.url}/readyz`, 200, STARTUP_BOUND_MS);
    // Log lines are written asynchronously (src/http/logger.ts): the last ones may trail readiness by a moment.
    await expect.poll(() => first.output(), { timeout: 5000 }).toContain(`listening on ${first.url}`);
    expect(first.output()).toContain('applied database migrations');
    first.child.kill('SIGTERM');
    const started = Date.now();
    expect(await first.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);

    // The second start finds the migrated database on disk.
    const second = spawnService({ DATA_DIR: dataDir }, await freePort());
    await waitFor(`${second.url}/readyz`, 200, STARTUP_BOUND_MS);
    expect(second.output()).not.toContain('applied database migrations');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  // Without Redis, browser sessions live in the database through Prisma, whose driver adapter is loaded from
  // node_modules beside the bundle: it must be handed the same pg the bundle runs (a bundled copy of pg made
  // the adapter treat our pool as a config object, and the process died on its first session).
  it.each(databaseTargets.map((target) => [target.name, target] as const))(
    'keeps a browser session on %s without Redis',
    { timeout: 120_000 },
    async (_name, target) => {
      const database = await target.create();
      // On PostgreSQL migrations are a step of their own (the chart's hook Job); the embedded database applies its own.
      if (database.env.DATABASE_URL) expect((await runCli('migrate', [], { DATABASE_URL: database.env.DATABASE_URL })).code).toBe(0);
      const service = spawnService({ ...database.env, ...CHEAP_ARGON2 }, await freePort());
      try {
        await waitFor(`${service.url}/readyz`, 200, STARTUP_BOUND_MS);
        const email = `process-${Date.now()}@example.com`;
        await signUp(service.url, email);
        const cookie = await browserLogin(service.url, email);
        const me = await http(`${service.url}/v1/me`, { headers: { cookie } });
        expect(me.status, service.output()).toBe(200);
        expect(me.body.email).toBe(email);
      } finally {
        await stopService(service);
        await database.drop();
      }
    },
  );

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT must be integer\n$/],
    [{ CLIENTS_FILE: '/nonexistent/clients.json' }, /^CLIENTS_FILE \/nonexistent\/clients\.json cannot be read \(ENOENT\)\n$/],
  ])('refuses to start with %o, printing one line', async (env, message) => {
    const service = spawnService({ DATA_DIR: dataDir, ...env }, await freePort());
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(message);
  });
});

// A fresh PostgreSQL database is what an operator has before the first `npm run migrate`.
describe.runIf(TEST_DATABASE_URL)('the service process on a PostgreSQL database that is not migrated', () => {
  it('refuses with one line naming npm run migrate, migrates with MIGRATE_ON_START=true, and refuses a schema that fell behind', { timeout: 120_000 }, async () => {
    const database = await postgresTarget.create();
    const env = { ...database.env, ...CHEAP_ARGON2 };
    try {
      const refused = spawnService(env, await freePort());
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toMatch(/^The database has no schema yet \(never migrated\)\. Run `npm run migrate` before starting the service \(MIGRATE_ON_START=true migrates at start, for single-instance installs\)\n$/);

      // The operator commands open the database the same way.
      const listed = await runCli('keys', ['list'], env);
      expect(listed.code).toBe(1);
      expect(listed.output).toBe(refused.output());

      const migrating = spawnService({ ...env, MIGRATE_ON_START: 'true' }, await freePort());
      await waitFor(`${migrating.url}/readyz`, 200, STARTUP_BOUND_MS);
      await expect.poll(() => migrating.output(), { timeout: 5000 }).toContain('applied database migrations');
      expect(await stopService(migrating)).toBe(0);

      // Migrated once, the service starts without the flag.
      const plain = spawnService(env, await freePort());
      await waitFor(`${plain.url}/readyz`, 200, STARTUP_BOUND_MS);
      expect(await stopService(plain)).toBe(0);

      // A release whose migration did not run (say a new pod before the Job): the newest one reads as pending.
      const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await client.connect();
      const [latest] = (await client.query<{ migration_name: string }>('DELETE FROM "_prisma_migrations" WHERE migration_name = (SELECT max(migration_name) FROM "_prisma_migrations") RETURNING migration_name')).rows;
      await client.end();
      const behind = spawnService(env, await freePort());
      expect(await behind.exited).toBe(1);
      expect(behind.output()).toBe(`The database is behind by 1 migration(s): ${latest!.migration_name}. Run \`npm run migrate\` before starting the service (MIGRATE_ON_START=true migrates at start, for single-instance installs)\n`);
    } finally {
      await database.drop();
    }
  });
});

if (!TEST_DATABASE_URL) console.log('TEST_DATABASE_URL is not set: the unmigrated-PostgreSQL process test does not run');
