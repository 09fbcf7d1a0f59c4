import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { DatabaseHandle, DatabaseSession } from './database.js';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) on disk.
 * It has a single connection and serialises every query, so it is for one
 * process only; replicas need a real PostgreSQL.
 */
export async function openEmbedded(dataDir: string): Promise<{ handle: DatabaseHandle; pglite: PGlite }> {
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);

  const session: DatabaseSession = {
    query: async (sql, params = []) => (await pglite.query(sql, params as unknown[])).rows as never,
    exec: async (script) => {
      await pglite.exec(script);
    },
  };
  const handle: DatabaseHandle = {
    kind: 'embedded',
    query: session.query,
    withSession: (work) => work(session),
    transaction: (work) => pglite.transaction((tx) => work(async (sql, params = []) => (await tx.query(sql, params as unknown[])).rows as never)),
    async ping() {
      await pglite.query('SELECT 1');
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
  return { handle, pglite };
}
