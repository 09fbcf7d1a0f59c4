/**
 * Per-account failure counting. After `maxFailures` consecutive failures the
 * account refuses every password for `lockoutSeconds`, then accepts attempts
 * again. Attempts made during the lock are not counted and do not extend it,
 * so the longest an attacker can keep an account locked is by spending
 * `maxFailures` more guesses after every lock, and those are themselves capped
 * by the per-account rate limit.
 */
export interface LockoutPolicy {
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
}

export const lockedUntil = (now: Date, policy: LockoutPolicy): Date => new Date(now.getTime() + policy.lockoutSeconds * 1000);
