import type { Config } from '../config/index.js';
import type { ChangeNotifications } from '../domain/revocations/change-notifications.js';
import type { DatabaseHandle } from './database.js';
import type { PrismaClient } from './prisma/generated/client.js';

type PrismaAdapter = NonNullable<ConstructorParameters<typeof PrismaClient>[0]['adapter']>;

export interface OpenDatabase {
  handle: DatabaseHandle;
  /**
   * The Prisma client over the same database, made on first use: loading it
   * and its query compiler costs about 75 MB of memory and a quarter of a
   * second (bench/README.md, performance report), which a service whose stores all run on
   * `handle` never pays.
   */
  prisma(): Promise<PrismaClient>;
  /** A listener for the changes other replicas (or this process) notify: a connection of its own on PostgreSQL. */
  changeNotifications(log: { warn(fields: object, message: string): void }, retryMs: number): ChangeNotifications;
  close(): Promise<void>;
}

/**
 * PostgreSQL when a URL is configured, else the embedded on-disk PGlite. Each
 * engine's driver is loaded only when it is the one configured (pg and PGlite
 * each take 45–70 ms to load). Prisma runs through a driver adapter either way.
 */
export async function openDatabase(config: Pick<Config, 'database' | 'databaseTimeoutMs'>): Promise<OpenDatabase> {
  const { database } = config;
  if (database.kind === 'postgres') {
    const { openPostgres } = await import('./postgres.js');
    const { handle, pool } = openPostgres({ url: database.url, poolSize: database.poolSize, timeoutMs: config.databaseTimeoutMs });
    const { postgresChangeNotifications } = await import('./postgres-change-notifications.js');
    return withPrismaOnDemand(handle, async () => new (await import('@prisma/adapter-pg')).PrismaPg(pool), (log, retryMs) =>
      postgresChangeNotifications({ url: database.url, timeoutMs: config.databaseTimeoutMs, retryMs, log }),
    );
  }
  const { openEmbedded } = await import('./embedded.js');
  const { handle, pglite } = await openEmbedded(database.dataDir);
  const { pgliteChangeNotifications } = await import('./pglite-change-notifications.js');
  return withPrismaOnDemand(handle, async () => new (await import('pglite-prisma-adapter')).PrismaPGlite(pglite), () => pgliteChangeNotifications(pglite));
}

function withPrismaOnDemand(handle: DatabaseHandle, adapter: () => Promise<PrismaAdapter>, changeNotifications: OpenDatabase['changeNotifications']): OpenDatabase {
  let client: Promise<PrismaClient> | undefined;
  const connect = async () => {
    const { PrismaClient } = await import('./prisma/generated/client.js');
    return new PrismaClient({ adapter: await adapter() });
  };
  return {
    handle,
    prisma: () => (client ??= connect()),
    changeNotifications,
    async close() {
      if (client) await (await client).$disconnect();
      await handle.close();
    },
  };
}
