import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Config } from '../config/index.js';
import type { DatabaseHandle } from './database.js';
import { openEmbedded } from './embedded.js';
import { openPostgres } from './postgres.js';
import { PrismaClient } from './prisma/generated/client.js';

export interface OpenDatabase {
  handle: DatabaseHandle;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/** PostgreSQL when a URL is configured, else the embedded on-disk PGlite. Prisma runs through a driver adapter either way. */
export async function openDatabase(config: Pick<Config, 'database' | 'databaseTimeoutMs'>): Promise<OpenDatabase> {
  const { database } = config;
  if (database.kind === 'postgres') {
    const { handle, pool } = openPostgres({ url: database.url, poolSize: database.poolSize, timeoutMs: config.databaseTimeoutMs });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return { handle, prisma, close: closeBoth(prisma, handle) };
  }
  const { handle, pglite } = await openEmbedded(database.dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return { handle, prisma, close: closeBoth(prisma, handle) };
}

const closeBoth = (prisma: PrismaClient, handle: DatabaseHandle) => async () => {
  await prisma.$disconnect();
  await handle.close();
};
