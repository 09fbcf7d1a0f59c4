import { AppError } from '../errors.js';
import { sealSecret } from '../keys/key-wrap.js';
import { hashRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.js';
import { openTotpSecret, type CheckContext, type SecondFactorCheck, type SecondFactorCheckDeps } from './second-factor-check.js';
import type { SecondFactorKind } from './second-factors.js';
import { newTotpSecret, totpSecretBase32, totpStepOf, totpUri } from './totp.js';

export interface TotpFactorDeps extends SecondFactorCheckDeps {
  readonly check: SecondFactorCheck;
  /** The issuer an authenticator app shows beside the account (the service's host name). */
  readonly issuerName: string;
}

export interface TotpEnrolment {
  readonly uri: string;
  readonly secret: string;
}

export interface MfaStatus {
  readonly totp: 'none' | 'pending' | 'active';
  readonly recoveryCodesRemaining: number;
}

const wrongCode = () => new AppError('wrong_mfa_code', 'The code is incorrect or was already used.');

/**
 * TOTP enrolment and removal, and the recovery codes that back it up. An
 * enrolment is pending until a first valid code proves the app has the secret;
 * only then does the password stop being enough.
 */
export class TotpFactor {
  constructor(private readonly deps: TotpFactorDeps) {}

  async status(userId: string): Promise<MfaStatus> {
    const record = await this.deps.totp.find(userId);
    const totp = !record ? 'none' : record.confirmedAt ? 'active' : 'pending';
    return { totp, recoveryCodesRemaining: totp === 'active' ? await this.deps.recoveryCodes.countUnused(userId) : 0 };
  }

  /** A new secret, pending until confirmed; starting again replaces a pending one. Conflict when one is active. */
  async start(user: { id: string; email: string }): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    try {
      const saved = await this.deps.totp.savePending(user.id, sealSecret(this.deps.totpKey, user.id, secret), this.deps.clock.now());
      if (!saved) throw new AppError('conflict', 'An authenticator is already set up; remove it first.');
      return { uri: totpUri(secret, this.deps.issuerName, user.email), secret: totpSecretBase32(secret) };
    } finally {
      secret.fill(0);
    }
  }

  /** Activates the pending secret with its first code and answers the recovery codes, the only time they are shown. */
  async confirm(userId: string, code: string, context: CheckContext = {}): Promise<string[]> {
    const secret = await openTotpSecret(this.deps, userId, false);
    if (!secret) throw new AppError('conflict', 'There is no authenticator set-up to confirm; start again.');
    const now = this.deps.clock.now();
    const step = totpStepOf(secret, code.trim(), now);
    secret.fill(0);
    if (step === undefined || !(await this.deps.totp.acceptStep(userId, step, now, true))) throw wrongCode();
    await this.audit('mfa_enrolled', userId, context);
    return this.issueRecoveryCodes(userId);
  }

  /** Removes the authenticator and its recovery codes, after a current code (TOTP or recovery) proves possession. */
  async remove(userId: string, code: string, context: CheckContext = {}): Promise<void> {
    await this.requireActive(userId);
    if (!(await this.deps.check.verify(userId, code, context))) throw wrongCode();
    await this.reset(userId);
    await this.audit('mfa_removed', userId, context);
  }

  /** New recovery codes after a current code; the old ones stop working. */
  async regenerateRecoveryCodes(userId: string, code: string, context: CheckContext = {}): Promise<string[]> {
    await this.requireActive(userId);
    if (!(await this.deps.check.verify(userId, code, context))) throw wrongCode();
    await this.audit('recovery_codes_regenerated', userId, context);
    return this.issueRecoveryCodes(userId);
  }

  async reset(userId: string): Promise<void> {
    await this.deps.recoveryCodes.removeAll(userId);
    await this.deps.totp.remove(userId);
  }

  /** TOTP and its recovery codes, as the login step and an admin reset see them (domain/mfa/second-factors.ts). */
  kinds(): SecondFactorKind[] {
    return [
      {
        kind: 'totp',
        signsIn: true,
        list: async (userId) => {
          const record = await this.deps.totp.find(userId);
          return record?.confirmedAt ? [{ kind: 'totp', id: 'totp', createdAt: record.confirmedAt }] : [];
        },
        reset: (userId) => this.reset(userId),
      },
      {
        kind: 'recovery_codes',
        signsIn: false,
        list: async (userId) => {
          const createdAt = await this.deps.recoveryCodes.createdAt(userId);
          const remaining = await this.deps.recoveryCodes.countUnused(userId);
          return createdAt && remaining > 0 ? [{ kind: 'recovery_codes', id: 'recovery_codes', createdAt, remaining }] : [];
        },
        reset: (userId) => this.deps.recoveryCodes.removeAll(userId),
      },
    ];
  }

  private async requireActive(userId: string): Promise<void> {
    if ((await this.status(userId)).totp !== 'active') throw new AppError('conflict', 'No authenticator is set up.');
  }

  private async issueRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.deps.recoveryCodes.replace(userId, codes.map((code) => hashRecoveryCode(this.deps.recoveryKey, code)), this.deps.clock.now());
    return codes;
  }

  private audit(type: 'mfa_enrolled' | 'mfa_removed' | 'recovery_codes_regenerated', userId: string, context: CheckContext) {
    return this.deps.audit.record({ type, userId, ip: context.ip ?? null, at: this.deps.clock.now() });
  }
}
