import type { AuditEvent, AuditLog } from '../domain/audit.js';
import type { DatabaseHandle } from './database.js';

/** The audit trail, one INSERT per event (every login writes one). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly database: DatabaseHandle) {}

  async record(event: AuditEvent): Promise<void> {
    await this.database.query(
      `INSERT INTO audit_events (type, user_id, client_id, family_id, ip, detail, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [event.type, event.userId ?? null, event.clientId ?? null, event.familyId ?? null, event.ip ?? null, JSON.stringify(event.detail ?? {}), event.at],
    );
  }
}
