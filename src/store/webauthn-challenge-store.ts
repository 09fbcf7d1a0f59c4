import type { CeremonyPurpose, ChallengeStore, PendingChallenge } from '../domain/passkeys/challenge-store.js';
import type { DatabaseHandle } from './database.js';

/**
 * Ceremony challenges in SQL, shared by every replica (the options and the
 * response may reach different ones). Taking one is a DELETE … RETURNING, so
 * two concurrent responses cannot both answer it.
 */
export class PostgresChallengeStore implements ChallengeStore {
  constructor(private readonly database: DatabaseHandle) {}

  async put(sessionId: string, purpose: CeremonyPurpose, challenge: PendingChallenge, now: Date): Promise<void> {
    // Ceremonies abandoned in any session go with the next one started: the table holds only live challenges and a few stale ones.
    await this.database.query('DELETE FROM webauthn_challenges WHERE expires_at <= $1', [now]);
    await this.database.query(
      `INSERT INTO webauthn_challenges (session_id, purpose, challenge, user_id, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (session_id, purpose) DO UPDATE SET challenge = EXCLUDED.challenge, user_id = EXCLUDED.user_id, expires_at = EXCLUDED.expires_at`,
      [sessionId, purpose, challenge.challenge, challenge.userId, challenge.expiresAt],
    );
  }

  async take(sessionId: string, purpose: CeremonyPurpose, now: Date): Promise<PendingChallenge | undefined> {
    const [row] = await this.database.query<{ challenge: string; user_id: string | null; expires_at: Date }>(
      'DELETE FROM webauthn_challenges WHERE session_id = $1 AND purpose = $2 RETURNING challenge, user_id, expires_at',
      [sessionId, purpose],
    );
    if (!row || row.expires_at.getTime() <= now.getTime()) return undefined;
    return { challenge: row.challenge, userId: row.user_id, expiresAt: row.expires_at };
  }
}
