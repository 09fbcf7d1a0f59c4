import type { RefreshFamily } from '../domain/tokens/refresh-family.js';
import type { NewFamily, PresentedToken, RefreshStore, RotatedFamily } from '../domain/tokens/refresh-store.js';
import { insertAuditEvent } from './audit-log.js';
import type { DatabaseHandle } from './database.js';
import { recordRevocations } from './revocation-store.js';

interface FamilyRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  generation: number;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  auth_time: Date | null;
  amr: string[] | null;
  dpop_jkt: string | null;
}

const toFamily = (row: FamilyRow): RefreshFamily & { userAgent: string | null; ip: string | null } => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  scope: row.scope,
  generation: row.generation,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  userAgent: row.user_agent,
  ip: row.ip,
  authTime: row.auth_time,
  amr: row.amr ?? [],
  dpopJkt: row.dpop_jkt,
});

const FAMILY_COLUMNS = 'f.id, f.user_id, f.client_id, f.scope, f.generation, f.created_at, f.last_used_at, f.expires_at, f.revoked_at, f.user_agent, f.ip, f.auth_time, f.amr, f.dpop_jkt';

/**
 * A family `f` is live: not revoked, unexpired at `now`, used since
 * `idleCutoff` (the rule of refresh-family.ts's isFamilyLive). Rotation and
 * the device list share it, so a login refused by one is not listed by the other.
 */
const liveFamily = (now: string, idleCutoff: string) => `f.revoked_at IS NULL AND f.expires_at > ${now} AND f.last_used_at > ${idleCutoff}`;

/*
 * The rotation in one statement, so it costs one round trip and is atomic.
 * `spent` re-checks `spent_at IS NULL` under the row lock (PostgreSQL re-evaluates
 * an UPDATE's condition on the newest row version), so of any number of
 * concurrent rotations of one token exactly one returns a row; the unique
 * (family_id, generation) index would abort a second branch even if it did not.
 */
const ROTATE = `
WITH live AS (
  SELECT t.family_id, t.generation, u.roles, u.email, u.email_verified_at
  FROM refresh_tokens t
  JOIN refresh_families f ON f.id = t.family_id
  JOIN users u ON u.id = f.user_id
  WHERE t.token_hash = $1 AND t.spent_at IS NULL AND t.generation = f.generation
    AND f.client_id = $3 AND ${liveFamily('$4', '$5')}
    AND u.disabled_at IS NULL
    AND (f.dpop_jkt IS NULL OR f.dpop_jkt = $6::text)
), spent AS (
  UPDATE refresh_tokens t SET spent_at = $4
  FROM live WHERE t.token_hash = $1 AND t.spent_at IS NULL
  RETURNING t.family_id, t.generation, live.roles, live.email, live.email_verified_at
), advanced AS (
  UPDATE refresh_families f SET generation = spent.generation + 1, last_used_at = $4
  FROM spent WHERE f.id = spent.family_id AND f.revoked_at IS NULL
  RETURNING f.id, f.user_id, f.client_id, f.scope, f.generation, f.auth_time, f.amr, spent.roles, spent.email, spent.email_verified_at
), successor AS (
  INSERT INTO refresh_tokens (token_hash, family_id, generation, created_at)
  SELECT $2, advanced.id, advanced.generation, $4 FROM advanced
)
SELECT id, user_id, client_id, scope, roles, email, email_verified_at, auth_time, amr FROM advanced`;

// The family and its first token in one statement: atomic, and one round trip where a transaction took four.
const CREATE_FAMILY = `
WITH family AS (
  INSERT INTO refresh_families (id, user_id, client_id, scope, generation, user_agent, ip, created_at, last_used_at, expires_at, browser_session_id, auth_time, amr, dpop_jkt)
  VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $7, $8, $10, $11, $12, $13)
  RETURNING id
)
INSERT INTO refresh_tokens (token_hash, family_id, generation, created_at) SELECT $9, id, 0, $7 FROM family`;

export class PostgresRefreshStore implements RefreshStore {
  constructor(private readonly db: DatabaseHandle) {}

  async createFamily(family: NewFamily, firstTokenHash: string): Promise<void> {
    await this.db.query(CREATE_FAMILY, [
      family.id,
      family.userId,
      family.clientId,
      family.scope,
      family.userAgent,
      family.ip,
      family.createdAt,
      family.expiresAt,
      firstTokenHash,
      family.browserSessionId,
      family.authTime,
      [...family.amr],
      family.dpopJkt,
    ]);
  }

  async rotate(input: { tokenHash: string; successorHash: string; clientId: string; now: Date; idleCutoff: Date; dpopJkt: string | null }): Promise<RotatedFamily | undefined> {
    const [row] = await this.db.query<{ id: string; user_id: string; client_id: string; scope: string; roles: string[]; email: string; email_verified_at: Date | null; auth_time: Date | null; amr: string[] }>(ROTATE, [
      input.tokenHash,
      input.successorHash,
      input.clientId,
      input.now,
      input.idleCutoff,
      input.dpopJkt,
    ]);
    return row && { familyId: row.id, userId: row.user_id, clientId: row.client_id, scope: row.scope, roles: row.roles, email: row.email, emailVerifiedAt: row.email_verified_at, authTime: row.auth_time, amr: row.amr };
  }

  judge: RefreshStore['judge'] = (tokenHash, decide, onRevoke) =>
    this.db.transaction(async (query) => {
      // FOR UPDATE OF f: a concurrent judge of the same family waits, so a reuse is revoked exactly once.
      const [row] = await query<FamilyRow & { token_generation: number; spent_at: Date | null; roles: string[]; email: string; email_verified_at: Date | null; user_disabled: boolean }>(
        `SELECT ${FAMILY_COLUMNS}, t.generation AS token_generation, t.spent_at, u.roles, u.email, u.email_verified_at, u.disabled_at IS NOT NULL AS user_disabled
         FROM refresh_tokens t
         JOIN refresh_families f ON f.id = t.family_id
         JOIN users u ON u.id = f.user_id
         WHERE t.token_hash = $1
         FOR UPDATE OF f`,
        [tokenHash],
      );
      const presented: PresentedToken | undefined = row && {
        generation: row.token_generation,
        spentAt: row.spent_at,
        family: toFamily(row),
        roles: row.roles,
        email: row.email,
        emailVerifiedAt: row.email_verified_at,
        userDisabled: row.user_disabled,
      };
      const { verdict, result } = decide(presented);
      if (verdict === 'revoke' && row) {
        const revoked = await query(
          `UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
          [row.id, onRevoke.now, onRevoke.reason],
        );
        if (revoked.length > 0) await recordRevocations(query, { sids: [row.id], at: onRevoke.now });
        await insertAuditEvent(query, {
          type: 'refresh_token_reuse_detected',
          userId: row.user_id,
          clientId: onRevoke.audit.clientId,
          familyId: row.id,
          ip: onRevoke.audit.ip,
          detail: { presentedGeneration: row.token_generation, liveGeneration: row.generation },
          at: onRevoke.now,
        });
      }
      return result;
    });

  async findByToken(tokenHash: string): Promise<{ family: RefreshFamily; spent: boolean } | undefined> {
    const [row] = await this.db.query<FamilyRow & { spent: boolean }>(
      `SELECT ${FAMILY_COLUMNS}, t.spent_at IS NOT NULL AS spent
       FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return row && { family: toFamily(row), spent: row.spent };
  }

  // Each revocation is recorded for the replicas and the feed in the transaction that revokes (revocation-store.ts).
  revokeFamily(familyId: string, reason: string, now: Date): Promise<boolean> {
    return this.db.transaction(async (query) => {
      const rows = await query<{ id: string }>(
        'UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id',
        [familyId, now, reason],
      );
      await recordRevocations(query, { sids: rows.map((row) => row.id), at: now });
      return rows.length > 0;
    });
  }

  revokeUserFamilies(userId: string, reason: string, now: Date, exceptFamilyId?: string): Promise<number> {
    return this.db.transaction(async (query) => {
      const rows = await query<{ id: string }>(
        `UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND ($4::uuid IS NULL OR id <> $4::uuid) RETURNING id`,
        [userId, now, reason, exceptFamilyId ?? null],
      );
      await recordRevocations(query, { sids: rows.map((row) => row.id), at: now });
      return rows.length;
    });
  }

  async listLiveFamilies(userId: string, now: Date, idleCutoff: Date) {
    const rows = await this.db.query<FamilyRow>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families f
       WHERE f.user_id = $1 AND ${liveFamily('$2', '$3')}
       ORDER BY f.last_used_at DESC`,
      [userId, now, idleCutoff],
    );
    return rows.map(toFamily);
  }

  async familiesOfBrowserSession(browserSessionId: string, now: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      'SELECT id FROM refresh_families WHERE browser_session_id = $1 AND revoked_at IS NULL AND expires_at > $2',
      [browserSessionId, now],
    );
    return rows.map((row) => row.id);
  }

  async moveBrowserSessionFamilies(fromSessionId: string, toSessionId: string): Promise<void> {
    await this.db.query('UPDATE refresh_families SET browser_session_id = $2 WHERE browser_session_id = $1 AND revoked_at IS NULL', [fromSessionId, toSessionId]);
  }
}
