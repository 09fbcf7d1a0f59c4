import type { User } from './user.js';

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly emailNormalized: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  readonly createdAt: Date;
}

/** Persistence of accounts, as the account use-cases need it. */
export interface UserStore {
  /** False when the normalised email is taken (the unique index decides, not a prior read). */
  create(user: NewUser): Promise<boolean>;
  findByEmail(emailNormalized: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  /**
   * Reserves one login attempt, atomically: counts it as a failure in advance
   * unless the account is locked at `now` or already has `maxFailures`
   * failures counted (finished or in flight). False when refused.
   */
  reserveAttempt(id: string, now: Date, maxFailures: number): Promise<boolean>;
  /** After a failed reserved attempt: locks the account until `lockedUntil` when it reached `maxFailures`. True when this call locked it. */
  lockIfExhausted(id: string, maxFailures: number, lockedUntil: Date, now: Date): Promise<boolean>;
  /** After a successful attempt: forgets past failures. */
  clearFailures(id: string, now: Date): Promise<void>;
  /** The same password under a stronger hash (raised parameters): password_changed_at stays, so nothing it guards ends. */
  rehashPassword(id: string, passwordHash: string, now: Date): Promise<void>;
  /** False when there is no such user. */
  disable(id: string, now: Date): Promise<boolean>;
}
