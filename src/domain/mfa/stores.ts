/** A user's TOTP authenticator as stored: the secret only sealed (AES-GCM, domain/keys/key-wrap.ts). */
export interface TotpRecord {
  readonly userId: string;
  readonly secretEnc: Uint8Array;
  /** Null while the enrolment waits for its first code. */
  readonly confirmedAt: Date | null;
  readonly createdAt: Date;
}

export interface TotpStore {
  find(userId: string): Promise<TotpRecord | undefined>;
  /** Starts (or restarts) an enrolment; false, and nothing written, when the user has a confirmed authenticator. */
  savePending(userId: string, secretEnc: Uint8Array, now: Date): Promise<boolean>;
  /**
   * Accepts the code of time step `step`, atomically: only when it is later
   * than the last step accepted (RFC 6238 §5.2, no replay), and, with
   * `confirming`, only for a pending enrolment, which it activates. False when refused.
   */
  acceptStep(userId: string, step: number, now: Date, confirming: boolean): Promise<boolean>;
  /** False when there was nothing to remove. */
  remove(userId: string): Promise<boolean>;
}

export interface RecoveryCodeStore {
  /** Replaces every code of the user with these hashes, in one transaction. */
  replace(userId: string, codeHashes: readonly string[], now: Date): Promise<void>;
  /** Spends one unused code, atomically; false when it is unknown or already spent. */
  spend(userId: string, codeHash: string, now: Date): Promise<boolean>;
  countUnused(userId: string): Promise<number>;
  /** The creation time of the current set; undefined when the user has none. */
  createdAt(userId: string): Promise<Date | undefined>;
  removeAll(userId: string): Promise<void>;
}

/** A login waiting for its second factor, bound to what the password step was for. */
export interface MfaChallenge {
  readonly tokenHash: string;
  readonly userId: string;
  /** The app's client (POST /v1/auth/login); null for a browser login. */
  readonly clientId: string | null;
  readonly scope: string | null;
  readonly dpopJkt: string | null;
  readonly failures: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface MfaChallengeStore {
  insert(challenge: Omit<MfaChallenge, 'failures'>): Promise<void>;
  /** Undefined unless the challenge is unspent, unexpired at `now`, and has fewer than `maxFailures` failures. */
  findLive(tokenHash: string, now: Date, maxFailures: number): Promise<MfaChallenge | undefined>;
  recordFailure(tokenHash: string): Promise<void>;
  /** Spends it, atomically: of concurrent attempts only one gets true. */
  consume(tokenHash: string, now: Date): Promise<boolean>;
}
