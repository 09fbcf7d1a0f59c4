import type { NewPasskey, Passkey } from '../domain/passkeys/passkey.js';
import type { PasskeyStore } from '../domain/passkeys/passkey-store.js';
import type { DatabaseHandle } from './database.js';

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Uint8Array;
  counter: number | string;
  transports: string[] | null;
  aaguid: string;
  backup_eligible: boolean;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, user_id, credential_id, public_key, counter, transports, aaguid, backup_eligible, backed_up, name, created_at, last_used_at';

const toPasskey = (row: PasskeyRow): Passkey => ({
  id: row.id,
  userId: row.user_id,
  credentialId: row.credential_id,
  publicKey: new Uint8Array(row.public_key),
  counter: Number(row.counter),
  transports: row.transports ?? [],
  aaguid: row.aaguid,
  backupEligible: row.backup_eligible,
  backedUp: row.backed_up,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

/** Passkeys in SQL (PostgreSQL or the embedded database), one statement per call. */
export class PostgresPasskeyStore implements PasskeyStore {
  constructor(private readonly database: DatabaseHandle) {}

  async create(passkey: NewPasskey): Promise<boolean> {
    // The unique index on credential_id decides: a credential belongs to one account.
    const rows = await this.database.query(
      `INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports, aaguid, backup_eligible, backed_up, name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
      [
        passkey.id,
        passkey.userId,
        passkey.credentialId,
        Buffer.from(passkey.publicKey),
        passkey.counter,
        [...passkey.transports],
        passkey.aaguid,
        passkey.backupEligible,
        passkey.backedUp,
        passkey.name,
        passkey.createdAt,
      ],
    );
    return rows.length === 1;
  }

  async listByUser(userId: string): Promise<Passkey[]> {
    const rows = await this.database.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(toPasskey);
  }

  async findByCredentialId(credentialId: string): Promise<Passkey | undefined> {
    const [row] = await this.database.query<PasskeyRow>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = $1`, [credentialId]);
    return row ? toPasskey(row) : undefined;
  }

  // Conditional on the counter: of two assertions racing with one counter value, one is recorded, the other refused.
  async recordUse(id: string, use: { counter: number; backedUp: boolean; at: Date }): Promise<boolean> {
    const rows = await this.database.query(
      `UPDATE passkeys SET counter = $2, backed_up = $3, last_used_at = $4
       WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING id`,
      [id, use.counter, use.backedUp, use.at],
    );
    return rows.length === 1;
  }

  async rename(userId: string, id: string, name: string): Promise<boolean> {
    const rows = await this.database.query('UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING id', [id, userId, name]);
    return rows.length === 1;
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const rows = await this.database.query('DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING id', [id, userId]);
    return rows.length === 1;
  }

  async removeAll(userId: string): Promise<number> {
    const rows = await this.database.query('DELETE FROM passkeys WHERE user_id = $1 RETURNING id', [userId]);
    return rows.length;
  }
}
