import type { RevocationChanges } from '../domain/revocations/revocation.js';
import type { RevocationStore } from '../domain/revocations/revocation-store.js';
import { NOTIFY_CHANNELS } from './notify-channels.js';
import type { DatabaseHandle, Query } from './database.js';

/*
 * One statement: the version row's lock (held to commit) orders revoking
 * transactions, so their versions become visible in order; the NOTIFY is
 * transactional too, delivered at commit and never for a rollback. Called
 * last in its transaction, after the rows it records are locked, so two
 * revocations never wait on each other in opposite orders.
 */
const RECORD = `
WITH bumped AS (
  UPDATE revocation_version SET version = version + 1 WHERE id RETURNING version
), recorded AS (
  INSERT INTO revocations (version, sid, sub, revoked_at)
  SELECT bumped.version, e.sid, e.sub, $3 FROM bumped,
    (SELECT s AS sid, NULL::text AS sub FROM unnest($1::text[]) s UNION ALL SELECT NULL, s FROM unnest($2::text[]) s) e
)
SELECT pg_notify('${NOTIFY_CHANNELS.revocations}', version::text) FROM bumped`;

/** Records revoked logins and subjects inside the caller's transaction. */
export async function recordRevocations(query: Query, revoked: { sids?: readonly string[]; subs?: readonly string[]; at: Date }): Promise<void> {
  const sids = revoked.sids ?? [];
  const subs = revoked.subs ?? [];
  if (sids.length + subs.length === 0) return;
  await query(RECORD, [sids, subs, revoked.at]);
}

// The current version and the entries after $1, read in one statement, so they come from one snapshot.
const CHANGES = `
SELECT v.version AS current, r.sid, r.sub, r.revoked_at
FROM revocation_version v
LEFT JOIN revocations r ON r.version > $1 AND r.revoked_at > $2
ORDER BY r.version`;

export class PostgresRevocationStore implements RevocationStore {
  constructor(private readonly db: DatabaseHandle) {}

  async changesSince(version: number, notBefore: Date): Promise<RevocationChanges> {
    const rows = await this.db.query<{ current: number; sid: string | null; sub: string | null; revoked_at: Date | null }>(CHANGES, [version, notBefore]);
    const entries = rows.flatMap((row) => {
      if (!row.revoked_at) return [];
      const revokedAt = Math.floor(row.revoked_at.getTime() / 1000);
      return [row.sid !== null ? { kind: 'sid' as const, id: row.sid, revokedAt } : { kind: 'sub' as const, id: row.sub as string, revokedAt }];
    });
    return { version: Number(rows[0]?.current ?? 0), entries };
  }

  revokeSubject(sub: string, issuedUpTo: Date): Promise<void> {
    return this.db.transaction((query) => recordRevocations(query, { subs: [sub], at: issuedUpTo }));
  }
}
