import type { AccessTokenDenylist } from '../domain/tokens/access-token-denylist.js';
import type { DatabaseHandle } from './database.js';

export class PostgresAccessTokenDenylist implements AccessTokenDenylist {
  constructor(private readonly db: DatabaseHandle) {}

  async add(jti: string, expiresAt: Date, now: Date): Promise<void> {
    await this.db.query(
      'INSERT INTO revoked_access_tokens (jti, expires_at, created_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING',
      [jti, expiresAt, now],
    );
  }

  async has(jti: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [jti]);
    return rows.length > 0;
  }
}
