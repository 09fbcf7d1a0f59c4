import type { AuditEvent, AuditLog } from '../domain/audit.js';
import type { DatabaseHandle, Query } from './database.js';

/** One audit row, through `query`: the pool, or the connection of a transaction the event belongs to. */
export async function insertAuditEvent(query: Query, event: AuditEvent): Promise<void> {
  await query(
    `INSERT INTO audit_events (type, user_id, client_id, family_id, ip, detail, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [event.type, event.userId ?? null, event.clientId ?? null, event.familyId ?? null, event.ip ?? null, JSON.stringify(event.detail ?? {}), event.at],
  );
}

/** The audit trail, one INSERT per event (every login writes one). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly database: DatabaseHandle) {}

  record(event: AuditEvent): Promise<void> {
    return insertAuditEvent(this.database.query, event);
  }
}
