import type { TotpRecord, TotpStore } from '../domain/mfa/stores.js';
import type { DatabaseHandle } from './database.js';

interface TotpRow {
  user_id: string;
  secret_enc: Uint8Array;
  confirmed_at: Date | null;
  created_at: Date;
}

/** TOTP authenticators in SQL; each write one conditional statement, so concurrent codes cannot both pass. */
export class PostgresTotpStore implements TotpStore {
  constructor(private readonly database: DatabaseHandle) {}

  async find(userId: string): Promise<TotpRecord | undefined> {
    const [row] = await this.database.query<TotpRow>('SELECT user_id, secret_enc, confirmed_at, created_at FROM totp_factors WHERE user_id = $1', [userId]);
    return row && { userId: row.user_id, secretEnc: row.secret_enc, confirmedAt: row.confirmed_at, createdAt: row.created_at };
  }

  async savePending(userId: string, secretEnc: Uint8Array, now: Date): Promise<boolean> {
    const rows = await this.database.query(
      `INSERT INTO totp_factors (user_id, secret_enc, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, created_at = EXCLUDED.created_at, last_used_step = NULL
       WHERE totp_factors.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, Buffer.from(secretEnc), now],
    );
    return rows.length === 1;
  }

  async acceptStep(userId: string, step: number, now: Date, confirming: boolean): Promise<boolean> {
    const rows = await this.database.query(
      `UPDATE totp_factors SET last_used_step = $2, confirmed_at = COALESCE(confirmed_at, $3)
       WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)
         AND ((confirmed_at IS NULL) = $4)
       RETURNING user_id`,
      [userId, step, now, confirming],
    );
    return rows.length === 1;
  }

  async remove(userId: string): Promise<boolean> {
    return (await this.database.query('DELETE FROM totp_factors WHERE user_id = $1 RETURNING user_id', [userId])).length > 0;
  }
}
