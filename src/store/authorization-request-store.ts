import type { AuthorizationRequest } from '../domain/authorization/authorization-request.js';
import type { AuthorizationRequestStore, PendingAuthorization } from '../domain/authorization/authorization-request-store.js';
import type { DatabaseHandle } from './database.js';

export class PostgresAuthorizationRequestStore implements AuthorizationRequestStore {
  constructor(private readonly db: DatabaseHandle) {}

  async save(idHash: string, pending: PendingAuthorization, now: Date, expiresAt: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO authorization_requests (id_hash, client_id, parameters, login_after, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [idHash, pending.request.clientId, JSON.stringify(pending.request), pending.loginAfter, now, expiresAt],
    );
  }

  async find(idHash: string, now: Date): Promise<PendingAuthorization | undefined> {
    const [row] = await this.db.query<{ parameters: AuthorizationRequest; login_after: Date | null }>(
      'SELECT parameters, login_after FROM authorization_requests WHERE id_hash = $1 AND expires_at > $2',
      [idHash, now],
    );
    return row && { request: row.parameters, loginAfter: row.login_after };
  }

  async delete(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM authorization_requests WHERE id_hash = $1', [idHash]);
  }
}
