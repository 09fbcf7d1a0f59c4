import type { AuthorizationCode, AuthorizationCodeStore, Redemption } from '../domain/authorization/authorization-code-store.js';
import type { DatabaseHandle } from './database.js';

interface CodeRow {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string;
  nonce: string | null;
  dpop_jkt: string | null;
  browser_session_id: string;
  auth_time: Date;
  amr: string[];
  family_id: string;
  created_at: Date;
  expires_at: Date;
}

/*
 * Spending is one conditional UPDATE: PostgreSQL re-checks `consumed_at IS NULL`
 * on the newest row version, so of concurrent presentations exactly one gets
 * the row back. An expired code is spent too, so a late replay still counts.
 */
const REDEEM = `
WITH spent AS (
  UPDATE authorization_codes SET consumed_at = $2
  WHERE code_hash = $1 AND consumed_at IS NULL
  RETURNING *
)
SELECT spent.*, true AS fresh FROM spent
UNION ALL
SELECT c.*, false AS fresh FROM authorization_codes c WHERE c.code_hash = $1 AND NOT EXISTS (SELECT 1 FROM spent)`;

export class PostgresAuthorizationCodeStore implements AuthorizationCodeStore {
  constructor(private readonly db: DatabaseHandle) {}

  async insert(code: AuthorizationCode): Promise<void> {
    await this.db.query(
      `INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge, code_challenge_method,
         nonce, browser_session_id, auth_time, amr, family_id, created_at, expires_at, dpop_jkt)
       VALUES ($1, $2, $3, $4, $5, $6, 'S256', $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        code.codeHash,
        code.clientId,
        code.userId,
        code.redirectUri,
        code.scope,
        code.codeChallenge,
        code.nonce,
        code.browserSessionId,
        code.authTime,
        [...code.amr],
        code.familyId,
        code.createdAt,
        code.expiresAt,
        code.dpopJkt,
      ],
    );
  }

  async redeem(codeHash: string, now: Date): Promise<Redemption> {
    const [row] = await this.db.query<CodeRow & { fresh: boolean }>(REDEEM, [codeHash, now]);
    if (!row) return { outcome: 'unknown' };
    if (!row.fresh) return { outcome: 'replayed', familyId: row.family_id };
    if (row.expires_at.getTime() <= now.getTime()) return { outcome: 'unknown' };
    return {
      outcome: 'redeemed',
      code: {
        codeHash: row.code_hash,
        clientId: row.client_id,
        userId: row.user_id,
        redirectUri: row.redirect_uri,
        scope: row.scope,
        codeChallenge: row.code_challenge,
        nonce: row.nonce,
        dpopJkt: row.dpop_jkt,
        browserSessionId: row.browser_session_id,
        authTime: row.auth_time,
        amr: row.amr,
        familyId: row.family_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      },
    };
  }
}
