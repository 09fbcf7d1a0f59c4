import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import { openSecret } from '../keys/key-wrap.js';
import { lockedUntil, type LockoutPolicy } from '../users/lockout.js';
import type { UserStore } from '../users/user-store.js';
import { AMR } from './amr.js';
import { hashRecoveryCode, looksLikeRecoveryCode } from './recovery-codes.js';
import type { RecoveryCodeStore, TotpStore } from './stores.js';
import { looksLikeTotpCode, totpStepOf } from './totp.js';

export interface SecondFactorCheckDeps {
  readonly totp: TotpStore;
  readonly recoveryCodes: RecoveryCodeStore;
  /** Seals TOTP secrets (a subkey of the master key). */
  readonly totpKey: Buffer;
  /** Keys recovery-code hashes (another subkey). */
  readonly recoveryKey: Buffer;
  readonly users: Pick<UserStore, 'reserveAttempt' | 'lockIfExhausted' | 'clearFailures'>;
  readonly lockout: LockoutPolicy;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

export interface CheckContext {
  readonly ip?: string | null;
  readonly clientId?: string | null;
}

/** The user's TOTP secret, opened; undefined when there is none in the wanted state (or it no longer decrypts). */
export async function openTotpSecret(deps: Pick<SecondFactorCheckDeps, 'totp' | 'totpKey'>, userId: string, confirmed: boolean): Promise<Buffer | undefined> {
  const record = await deps.totp.find(userId);
  if (!record || (record.confirmedAt !== null) !== confirmed) return undefined;
  return openSecret(deps.totpKey, userId, record.secretEnc);
}

/**
 * Checks a TOTP or recovery code of a user under the account lockout: every
 * wrong code counts as a failed login (domain/users/lockout.ts), so a stolen
 * password does not buy unlimited guesses at the second factor; a locked
 * account accepts no code at all.
 */
export class SecondFactorCheck {
  constructor(private readonly deps: SecondFactorCheckDeps) {}

  /** The methods (RFC 8176) the code proves, or undefined when it is wrong, replayed, or the account is locked. */
  async verify(userId: string, code: string, context: CheckContext = {}): Promise<readonly string[] | undefined> {
    const { users, clock, lockout } = this.deps;
    if (!(await users.reserveAttempt(userId, clock.now(), lockout.maxFailures))) {
      await this.audit('mfa_failed', userId, context, { reason: 'locked' });
      return undefined;
    }
    const method = await this.match(userId, code.trim());
    const now = clock.now();
    if (!method) {
      await this.audit('mfa_failed', userId, context, { reason: 'wrong_code' });
      const until = lockedUntil(now, lockout);
      if (await users.lockIfExhausted(userId, lockout.maxFailures, until, now)) {
        await this.audit('account_locked', userId, context, { locked_until: until.toISOString(), failures: lockout.maxFailures });
      }
      return undefined;
    }
    await users.clearFailures(userId, now);
    await this.audit('mfa_succeeded', userId, context, { method });
    return [AMR.oneTimePassword];
  }

  private async match(userId: string, code: string): Promise<'totp' | 'recovery_code' | undefined> {
    const now = this.deps.clock.now();
    if (looksLikeTotpCode(code)) {
      const secret = await openTotpSecret(this.deps, userId, true);
      const step = secret && totpStepOf(secret, code, now);
      return step !== undefined && (await this.deps.totp.acceptStep(userId, step, now, false)) ? 'totp' : undefined;
    }
    if (looksLikeRecoveryCode(code)) {
      return (await this.deps.recoveryCodes.spend(userId, hashRecoveryCode(this.deps.recoveryKey, code), now)) ? 'recovery_code' : undefined;
    }
    return undefined;
  }

  private audit(type: 'mfa_failed' | 'mfa_succeeded' | 'account_locked', userId: string, context: CheckContext, detail: Record<string, string | number>) {
    return this.deps.audit.record({ type, userId, clientId: context.clientId ?? null, ip: context.ip ?? null, detail, at: this.deps.clock.now() });
  }
}
