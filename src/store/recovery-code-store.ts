import type { RecoveryCodeStore } from '../domain/mfa/stores.js';
import type { DatabaseHandle } from './database.js';

export class PostgresRecoveryCodeStore implements RecoveryCodeStore {
  constructor(private readonly database: DatabaseHandle) {}

  async replace(userId: string, codeHashes: readonly string[], now: Date): Promise<void> {
    await this.database.transaction(async (query) => {
      await query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
      await query('INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1, hash, $3 FROM unnest($2::text[]) AS hash', [userId, [...codeHashes], now]);
    });
  }

  async spend(userId: string, codeHash: string, now: Date): Promise<boolean> {
    const rows = await this.database.query(
      'UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING code_hash',
      [userId, codeHash, now],
    );
    return rows.length === 1;
  }

  async countUnused(userId: string): Promise<number> {
    const [row] = await this.database.query<{ count: number }>('SELECT count(*)::int AS count FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
    return row?.count ?? 0;
  }

  async createdAt(userId: string): Promise<Date | undefined> {
    const [row] = await this.database.query<{ created_at: Date | null }>('SELECT min(created_at) AS created_at FROM recovery_codes WHERE user_id = $1', [userId]);
    return row?.created_at ?? undefined;
  }

  async removeAll(userId: string): Promise<void> {
    await this.database.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  }
}
