import type { OutboxWriter } from '../mail/outbox.js';
import type { NewUser } from './user-store.js';

/** What a single-use link token is for; each purpose has its own lifetime. */
export type AccountTokenPurpose = 'email_verification' | 'password_reset';

export interface NewAccountToken {
  /** SHA-256 of the raw token (hashOpaqueToken): the raw token exists only in the email. */
  readonly hash: string;
  readonly purpose: AccountTokenPurpose;
  readonly userId: string;
  /** A reset token is bound to the password it was issued under: any password change kills it. */
  readonly bindToPassword: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** The writes of the account lifecycle, all in one transaction with the message they cause. */
export interface AccountTransaction {
  /** False when the normalised email is taken. */
  createUser(user: NewUser): Promise<boolean>;
  insertToken(token: NewAccountToken): Promise<void>;
  /**
   * Spends a live token (unexpired, unspent, its account enabled, its password
   * unchanged where bound); answers its user, or undefined when it was not live.
   */
  consumeToken(hash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | undefined>;
  /** A new password: password_changed_at moves (killing outstanding reset links) and the lockout is cleared. */
  setNewPassword(userId: string, passwordHash: string, now: Date): Promise<void>;
  markEmailVerified(userId: string, now: Date): Promise<void>;
  readonly outbox: OutboxWriter;
}

export interface AccountLifecycleStore {
  /** Committed when `work` resolves, rolled back (message included) when it throws. */
  transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T>;
  /** The user of a live token, without spending it. */
  findLiveToken(hash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | undefined>;
}

