import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { hashOpaqueToken, newOpaqueToken } from '../../src/domain/tokens/opaque-token.js';
import { PROJECT_ROOT } from './paths.js';

const run = promisify(execFile);

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export const databaseUrl = (name: string) => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function postgresReachable(): Promise<boolean> {
  try {
    await admin((client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

export async function createDatabase(name: string): Promise<string> {
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Applies the real migrations the way a release does (`npm run migrate` without the build). */
export async function migrate(url: string): Promise<void> {
  await run(process.execPath, ['dist/src/cli/migrate.js'], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, LOG_LEVEL: 'warn' },
  });
}

/** Inserts users sharing one password hash (made by the service's own hasher), in one statement. */
export async function insertUsers(db: pg.Pool, count: number, passwordHash: string, prefix: string): Promise<{ id: string; email: string }[]> {
  const users = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), email: `${prefix}-${i}@bench.example` }));
  const now = new Date();
  await db.query(
    `INSERT INTO users (id, email, email_normalized, password_hash, roles, password_changed_at, created_at, updated_at)
     SELECT id, email, email, $3, ARRAY['user'], $4, $4, $4 FROM unnest($1::uuid[], $2::text[]) AS u(id, email)`,
    [users.map((u) => u.id), users.map((u) => u.email), passwordHash, now],
  );
  return users;
}

export interface FamilySeed {
  userIds: readonly string[];
  count: number;
  clientId: string;
  scope: string;
  familyTtlSeconds: number;
  /** Binds every family to this DPoP key thumbprint (RFC 9449 §5), as a public client's login with a proof is. */
  dpopJkt?: string;
}

/**
 * Mints `count` login families, each with its generation-0 refresh token, in
 * bulk: the rows `PostgresRefreshStore.createFamily` writes, with the token
 * made and hashed by the service's own opaque-token code. Answers the raw
 * tokens, each fresh and never used.
 */
export async function mintFamilies(db: pg.Pool, seed: FamilySeed): Promise<string[]> {
  const tokens: string[] = [];
  const chunk = 5000;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + seed.familyTtlSeconds * 1000);
  for (let start = 0; start < seed.count; start += chunk) {
    const size = Math.min(chunk, seed.count - start);
    const ids: string[] = [];
    const users: string[] = [];
    const hashes: string[] = [];
    for (let i = 0; i < size; i += 1) {
      const token = newOpaqueToken();
      tokens.push(token);
      ids.push(randomUUID());
      users.push(seed.userIds[(start + i) % seed.userIds.length] as string);
      hashes.push(hashOpaqueToken(token));
    }
    await db.query(
      `WITH f AS (
         INSERT INTO refresh_families (id, user_id, client_id, scope, generation, user_agent, ip, created_at, last_used_at, expires_at, dpop_jkt)
         SELECT id, user_id, $3, $4, 0, 'bench', '127.0.0.1', $5, $5, $6, $8 FROM unnest($1::uuid[], $2::uuid[]) AS f(id, user_id)
         RETURNING id
       )
       INSERT INTO refresh_tokens (token_hash, family_id, generation, created_at)
       SELECT hash, id, 0, $5 FROM unnest($7::text[], $1::uuid[]) AS t(hash, id)`,
      [ids, users, seed.clientId, seed.scope, now, expiresAt, hashes, seed.dpopJkt ?? null],
    );
  }
  return tokens;
}

/** Table sizes (rows estimated by the planner statistics after ANALYZE, bytes including indexes and TOAST). */
export async function tableSizes(db: pg.Pool, tables: readonly string[]): Promise<Record<string, { rows: number; bytes: number }>> {
  await db.query(`ANALYZE ${tables.join(', ')}`);
  const { rows } = await db.query<{ name: string; rows: string; bytes: string }>(
    `SELECT c.relname AS name, GREATEST(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
     FROM pg_class c WHERE c.relname = ANY($1) AND c.relkind = 'r'`,
    [tables],
  );
  return Object.fromEntries(rows.map((row) => [row.name, { rows: Number(row.rows), bytes: Number(row.bytes) }]));
}
