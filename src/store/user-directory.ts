import type { AuditTrail, StoredAuditEvent } from '../domain/audit-trail.js';
import type { AuditEventType } from '../domain/audit.js';
import { knownRoles, type Role } from '../domain/users/user.js';
import type { AdminUserRecord, RoleChange, UserDirectory, UserSearch } from '../domain/users/user-directory.js';
import type { DatabaseHandle } from './database.js';

interface DirectoryRow {
  id: string;
  email: string;
  roles: string[] | null;
  disabled_at: Date | null;
  email_verified_at: Date | null;
  created_at: Date;
  locked_until: Date | null;
  failed_login_count: number;
}

const DIRECTORY_COLUMNS = 'id, email, roles, disabled_at, email_verified_at, created_at, locked_until, failed_login_count';

const toRecord = (row: DirectoryRow): AdminUserRecord => ({
  id: row.id,
  email: row.email,
  roles: knownRoles(row.roles),
  disabledAt: row.disabled_at,
  emailVerifiedAt: row.email_verified_at,
  createdAt: row.created_at,
  lockedUntil: row.locked_until,
  failedLoginCount: row.failed_login_count,
});

/** Accounts for administrators, in SQL; searched by keyset on (created_at, id), which stays stable while rows are added. */
export class PostgresUserDirectory implements UserDirectory {
  constructor(private readonly database: DatabaseHandle) {}

  async search(query: UserSearch): Promise<AdminUserRecord[]> {
    // position(), not LIKE: a search for `%` or `_` matches those characters, not everything.
    const rows = await this.database.query<DirectoryRow>(
      `SELECT ${DIRECTORY_COLUMNS} FROM users
       WHERE ($1::text IS NULL OR position($1::text in email_normalized) > 0)
         AND ($2::text IS NULL OR $2::text = ANY(roles))
         AND ($3::boolean IS NULL OR (disabled_at IS NOT NULL) = $3::boolean)
         AND ($4::timestamptz IS NULL OR (created_at, id) > ($4::timestamptz, $5::uuid))
       ORDER BY created_at, id LIMIT $6`,
      [query.email ?? null, query.role ?? null, query.disabled ?? null, query.after?.createdAt ?? null, query.after?.id ?? null, query.limit],
    );
    return rows.map(toRecord);
  }

  async find(id: string): Promise<AdminUserRecord | undefined> {
    const [row] = await this.database.query<DirectoryRow>(`SELECT ${DIRECTORY_COLUMNS} FROM users WHERE id = $1`, [id]);
    return row ? toRecord(row) : undefined;
  }

  grantRole(id: string, role: Role, now: Date): Promise<RoleChange> {
    return this.changeRoles(id, 'array_append(roles, $2::text)', 'NOT ($2::text = ANY(roles))', role, now);
  }

  removeRole(id: string, role: Role, now: Date): Promise<RoleChange> {
    return this.changeRoles(id, 'array_remove(roles, $2::text)', '$2::text = ANY(roles)', role, now);
  }

  async enable(id: string, now: Date): Promise<boolean> {
    const rows = await this.database.query('UPDATE users SET disabled_at = NULL, updated_at = $2 WHERE id = $1 RETURNING id', [id, now]);
    return rows.length === 1;
  }

  // The condition in the UPDATE itself: of concurrent identical changes exactly one reports `changed`.
  private async changeRoles(id: string, assignment: string, condition: string, role: Role, now: Date): Promise<RoleChange> {
    const rows = await this.database.query(`UPDATE users SET roles = ${assignment}, updated_at = $3 WHERE id = $1 AND ${condition} RETURNING id`, [id, role, now]);
    if (rows.length === 1) return 'changed';
    return (await this.database.query('SELECT 1 FROM users WHERE id = $1', [id])).length === 1 ? 'unchanged' : 'no_such_user';
  }
}

interface AuditRow {
  id: string;
  type: string;
  client_id: string | null;
  family_id: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
  created_at: Date;
}

/** The audit trail read back, newest first, by keyset on the event id. */
export class PostgresAuditTrail implements AuditTrail {
  constructor(private readonly database: DatabaseHandle) {}

  async listByUser(userId: string, page: { limit: number; beforeId?: string }): Promise<StoredAuditEvent[]> {
    const rows = await this.database.query<AuditRow>(
      `SELECT id::text AS id, type, client_id, family_id, ip, detail, created_at FROM audit_events
       WHERE user_id = $1 AND ($2::bigint IS NULL OR audit_events.id < $2::bigint) ORDER BY audit_events.id DESC LIMIT $3`,
      [userId, page.beforeId ?? null, page.limit],
    );
    return rows.map((row) => ({
      id: row.id,
      type: row.type as AuditEventType,
      clientId: row.client_id,
      familyId: row.family_id,
      ip: row.ip,
      detail: row.detail ?? {},
      at: row.created_at,
    }));
  }
}
