import type { AuditEventType } from './audit.js';

/** An audit event as it was stored, with its position in the trail. */
export interface StoredAuditEvent {
  readonly id: string;
  readonly type: AuditEventType;
  readonly clientId: string | null;
  readonly familyId: string | null;
  readonly ip: string | null;
  readonly detail: Record<string, unknown>;
  readonly at: Date;
}

/** Reading the audit trail back (the writing side is AuditLog). */
export interface AuditTrail {
  /** The user's events, newest first, those older than `beforeId` when given; at most `limit`. */
  listByUser(userId: string, page: { readonly limit: number; readonly beforeId?: string }): Promise<StoredAuditEvent[]>;
}
