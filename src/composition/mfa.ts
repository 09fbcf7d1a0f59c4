import type { Config } from '../config/index.js';
import type { AuditLog } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import { MfaLoginStep } from '../domain/mfa/login-step.js';
import { SecondFactorCheck } from '../domain/mfa/second-factor-check.js';
import { secondFactors, type SecondFactorKind } from '../domain/mfa/second-factors.js';
import { TotpFactor } from '../domain/mfa/totp-factor.js';
import { deriveSubkey } from '../domain/secrets.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresMfaChallengeStore } from '../store/mfa-challenge-store.js';
import { PostgresRecoveryCodeStore } from '../store/recovery-code-store.js';
import { PostgresTotpStore } from '../store/totp-store.js';
import { PostgresUserStore } from '../store/user-store.js';

export interface MfaWiring {
  config: Config;
  clock: Clock;
  database: DatabaseHandle;
  masterKey: Buffer;
  audit: AuditLog;
  /** Further kinds of second factor (passkeys…), beside TOTP and its recovery codes. */
  extraKinds?: readonly SecondFactorKind[];
}

/** Second factors (docs/mfa.md): TOTP with recovery codes, the list of a user's factors, and the login step. */
export function buildMfa({ config, clock, database, masterKey, audit, extraKinds = [] }: MfaWiring) {
  const checkDeps = {
    totp: new PostgresTotpStore(database),
    recoveryCodes: new PostgresRecoveryCodeStore(database),
    totpKey: deriveSubkey(masterKey, 'totp-secret'),
    recoveryKey: deriveSubkey(masterKey, 'recovery-code'),
    users: new PostgresUserStore(database),
    lockout: { maxFailures: config.login.maxFailures, lockoutSeconds: config.login.lockoutSeconds },
    clock,
    audit,
  };
  const check = new SecondFactorCheck(checkDeps);
  const totp = new TotpFactor({ ...checkDeps, check, issuerName: new URL(config.issuer).host });
  const factors = secondFactors([...totp.kinds(), ...extraKinds]);
  const loginStep = new MfaLoginStep({ factors, challenges: new PostgresMfaChallengeStore(database), check, clock });
  return { totp, factors, check, loginStep };
}

export type MfaParts = ReturnType<typeof buildMfa>;
