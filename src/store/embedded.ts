import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { DatabaseHandle, DatabaseSession } from './database.js';
import { lockDataDir } from './data-dir-lock.js';

/**
 * The embedded default: PGlite (PostgreSQL compiled to WebAssembly) on disk.
 * It has a single connection and serialises every query, so it is for one
 * process only; replicas need a real PostgreSQL.
 */
export async function openEmbedded(dataDir: string): Promise<{ handle: DatabaseHandle; pglite: PGlite }> {
  mkdirSync(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir);
  } catch (error) {
    release();
    throw error;
  }

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
      release();
    },
  };
  return { handle, pglite };
}
