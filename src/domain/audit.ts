/** Security-relevant events kept in the audit trail (the audit_events table). */
export type AuditEventType =
  | 'user_created'
  | 'login_succeeded'
  | 'login_failed'
  | 'account_locked'
  | 'password_changed'
  | 'logout'
  | 'logout_all'
  | 'session_revoked'
  | 'user_revoked'
  | 'user_disabled'
  | 'refresh_token_reuse_detected'
  // Second factors (docs/mfa.md)
  | 'mfa_enrolled'
  | 'mfa_removed'
  | 'mfa_succeeded'
  | 'mfa_failed'
  | 'recovery_codes_regenerated'
  // Administration (domain/users/administration.ts): `detail.by` names the acting admin, or `cli`.
  | 'user_enabled'
  | 'role_granted'
  | 'role_removed'
  | 'mfa_reset'
  | 'reauthenticated'
  // Passkeys: a suspected clone is a signature counter that did not grow (WebAuthn §6.1.1).
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_clone_suspected';

export interface AuditEvent {
  readonly type: AuditEventType;
  readonly userId?: string | null;
  readonly clientId?: string | null;
  readonly familyId?: string | null;
  readonly ip?: string | null;
  /** Never a secret: no password, token or session id. */
  readonly detail?: Record<string, string | number | boolean | null>;
  readonly at: Date;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
