import type { Consent, ConsentStore } from '../domain/authorization/consent-store.js';
import type { DatabaseHandle } from './database.js';

interface ConsentRow {
  client_id: string;
  scope: string;
  created_at: Date;
  updated_at: Date;
}

const toConsent = (row: ConsentRow): Consent => ({ clientId: row.client_id, scope: row.scope, createdAt: row.created_at, updatedAt: row.updated_at });

export class PostgresConsentStore implements ConsentStore {
  constructor(private readonly db: DatabaseHandle) {}

  async find(userId: string, clientId: string): Promise<Consent | undefined> {
    const [row] = await this.db.query<ConsentRow>('SELECT client_id, scope, created_at, updated_at FROM consents WHERE user_id = $1 AND client_id = $2', [userId, clientId]);
    return row && toConsent(row);
  }

  async grant(userId: string, clientId: string, scope: string, now: Date): Promise<void> {
    // The union of what was allowed before and now, in one statement (two tabs consenting at once both count).
    await this.db.query(
      `INSERT INTO consents (user_id, client_id, scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (user_id, client_id) DO UPDATE SET updated_at = $4, scope = (
         SELECT string_agg(DISTINCT s, ' ' ORDER BY s) FROM unnest(string_to_array(consents.scope || ' ' || EXCLUDED.scope, ' ')) AS s WHERE s <> '')`,
      [userId, clientId, scope, now],
    );
  }

  async list(userId: string): Promise<Consent[]> {
    const rows = await this.db.query<ConsentRow>('SELECT client_id, scope, created_at, updated_at FROM consents WHERE user_id = $1 ORDER BY client_id', [userId]);
    return rows.map(toConsent);
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM consents WHERE user_id = $1 AND client_id = $2 RETURNING client_id', [userId, clientId]);
    return rows.length > 0;
  }
}
