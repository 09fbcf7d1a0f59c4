import type { PruneBatch, PruneStore } from '../domain/maintenance/prune-store.js';
import type { PruneTarget } from '../domain/maintenance/retention.js';
import type { DatabaseHandle, Query } from './database.js';

// Our own advisory lock key ("prun" in ASCII), distinct from Prisma Migrate's and the signing keys'.
const PRUNE_LOCK = 1886549358;

/*
 * Each batch is one statement: pick at most $2 dead rows by an indexed
 * deadline and delete them by primary key. SKIP LOCKED passes over rows a
 * request holds at that moment (a session being touched, a family being
 * judged), so pruning never waits on a hot path; those rows go next round.
 */
const counted = (deleteStatement: string) => `WITH gone AS (${deleteStatement} RETURNING 1) SELECT count(*)::int AS n FROM gone`;

const STATEMENTS: Record<PruneTarget, readonly string[]> = {
  // idle_expires_at is the idle deadline capped by the absolute one: the session's real end.
  browser_sessions: [
    counted(`DELETE FROM browser_sessions WHERE id_hash IN (
      SELECT id_hash FROM browser_sessions WHERE idle_expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
  // The window is the first $2 dead families in deadline order. Tokens go first, a batch at a time; a family
  // goes once its window holds no token of it any more, so the window moves on and no batch rescans the families
  // already emptied, and no single delete cascades into the thousands of tokens a long-lived family collects.
  refresh_tokens: [
    counted(`DELETE FROM refresh_tokens WHERE token_hash IN (
      SELECT t.token_hash FROM refresh_tokens t
      WHERE t.family_id IN (SELECT id FROM refresh_families WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
      LIMIT $2 FOR UPDATE SKIP LOCKED)`),
    counted(`DELETE FROM refresh_tokens WHERE token_hash IN (
      SELECT t.token_hash FROM refresh_tokens t
      WHERE t.family_id IN (SELECT id FROM refresh_families WHERE revoked_at <= $1 ORDER BY revoked_at LIMIT $2)
      LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
  refresh_families: [
    counted(`DELETE FROM refresh_families WHERE id IN (
      SELECT f.id FROM refresh_families f
      WHERE f.id IN (SELECT id FROM refresh_families WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
        AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)
      FOR UPDATE SKIP LOCKED)`),
    counted(`DELETE FROM refresh_families WHERE id IN (
      SELECT f.id FROM refresh_families f
      WHERE f.id IN (SELECT id FROM refresh_families WHERE revoked_at <= $1 ORDER BY revoked_at LIMIT $2)
        AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)
      FOR UPDATE SKIP LOCKED)`),
  ],
  authorization_codes: [
    counted(`DELETE FROM authorization_codes WHERE code_hash IN (
      SELECT code_hash FROM authorization_codes WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
  authorization_requests: [
    counted(`DELETE FROM authorization_requests WHERE id_hash IN (
      SELECT id_hash FROM authorization_requests WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
  revocations: [
    counted(`DELETE FROM revocations WHERE id IN (
      SELECT id FROM revocations WHERE revoked_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
  mfa_challenges: [
    counted(`DELETE FROM mfa_challenges WHERE token_hash IN (
      SELECT token_hash FROM mfa_challenges WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
  ],
};

/** Batched deletes of dead rows under a session-level advisory lock (PostgreSQL and the embedded database alike). */
export class PostgresPruneStore implements PruneStore {
  constructor(private readonly db: DatabaseHandle) {}

  exclusive<T>(work: (batch: PruneBatch) => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    // The lock belongs to the connection: taken, used and released on one session. If the process dies, PostgreSQL releases it.
    return this.db.withSession(async (session) => {
      const [lock] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [PRUNE_LOCK]);
      if (!lock?.locked) return { ran: false };
      try {
        return { ran: true, result: await work((target, cutoff, limit) => deleteBatch(session.query, target, cutoff, limit)) };
      } finally {
        await session.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK]);
      }
    });
  }
}

async function deleteBatch(query: Query, target: PruneTarget, cutoff: Date, limit: number): Promise<number> {
  let deleted = 0;
  for (const statement of STATEMENTS[target]) {
    const [row] = await query<{ n: number }>(statement, [cutoff, limit - deleted]);
    deleted += row?.n ?? 0;
    if (deleted >= limit) break;
  }
  return deleted;
}
