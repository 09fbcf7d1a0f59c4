import type { MfaChallenge, MfaChallengeStore } from '../domain/mfa/stores.js';
import type { DatabaseHandle } from './database.js';

interface ChallengeRow {
  token_hash: string;
  user_id: string;
  client_id: string | null;
  scope: string | null;
  dpop_jkt: string | null;
  failures: number;
  created_at: Date;
  expires_at: Date;
}

export class PostgresMfaChallengeStore implements MfaChallengeStore {
  constructor(private readonly database: DatabaseHandle) {}

  async insert(challenge: Omit<MfaChallenge, 'failures'>): Promise<void> {
    await this.database.query(
      'INSERT INTO mfa_challenges (token_hash, user_id, client_id, scope, dpop_jkt, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [challenge.tokenHash, challenge.userId, challenge.clientId, challenge.scope, challenge.dpopJkt, challenge.createdAt, challenge.expiresAt],
    );
  }

  async findLive(tokenHash: string, now: Date, maxFailures: number): Promise<MfaChallenge | undefined> {
    const [row] = await this.database.query<ChallengeRow>(
      `SELECT token_hash, user_id, client_id, scope, dpop_jkt, failures, created_at, expires_at FROM mfa_challenges
       WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2 AND failures < $3`,
      [tokenHash, now, maxFailures],
    );
    return (
      row && {
        tokenHash: row.token_hash,
        userId: row.user_id,
        clientId: row.client_id,
        scope: row.scope,
        dpopJkt: row.dpop_jkt,
        failures: row.failures,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }
    );
  }

  async recordFailure(tokenHash: string): Promise<void> {
    await this.database.query('UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = $1', [tokenHash]);
  }

  async consume(tokenHash: string, now: Date): Promise<boolean> {
    const rows = await this.database.query(
      'UPDATE mfa_challenges SET consumed_at = $2 WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING token_hash',
      [tokenHash, now],
    );
    return rows.length === 1;
  }
}
