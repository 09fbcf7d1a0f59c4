import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { parseEmail } from './email.js';
import { newUserRecord } from './new-user.js';
import { lockedUntil, type LockoutPolicy } from './lockout.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkNewPassword, isPasswordTooLong, normalizePassword, type PasswordPolicy } from './password-policy.js';
import type { Role, User, UserView } from './user.js';
import { viewOf } from './user.js';
import type { UserStore } from './user-store.js';

export interface AccountDeps {
  readonly users: UserStore;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly passwordPolicy: PasswordPolicy;
  readonly lockout: LockoutPolicy;
  /** EMAIL_VERIFICATION=required: a correct password of an unverified account is refused with `email_not_verified`. */
  readonly requireVerifiedEmail?: boolean;
}

/** A checked password change, ready to commit: the account and the new password's hash. */
export interface PasswordChange {
  readonly user: User;
  readonly passwordHash: string;
}

/** Where a login attempt comes from, for the audit trail. */
export interface AttemptContext {
  readonly ip?: string | null;
  readonly clientId?: string | null;
}

// One answer for every failed login: unknown email, wrong password, locked or
// disabled account. Status, body and (through the dummy hash) time are the same.
const invalidCredentials = () => new AppError('invalid_credentials', 'The email or password is incorrect.');

// No account has this id: an unknown email runs the lockout's statements against it, so both failures cost the same round trips.
const NO_USER = '00000000-0000-0000-0000-000000000000';

/**
 * Account use-cases: sign-up, the one credential check every login shares,
 * password change and disabling. Pure of HTTP and storage.
 */
export class Accounts {
  #dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: AccountDeps) {}

  /**
   * A hash of a random password made with the current parameters, verified
   * whenever there is no real hash to verify, so an unknown email costs the
   * same time as a known one.
   */
  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(randomBytes(32).toString('base64url'));
    return this.#dummyHash;
  }

  /** Computes the dummy hash ahead of the first login, so that login is not slower than the rest. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  /**
   * Creates an account. The password is hashed before the insert, so a taken
   * email answers after the same work as a free one; a duplicate answers a
   * generic conflict that says no more than a registration form must.
   */
  async register(input: { email: string; password: string; roles?: readonly Role[] }, context: AttemptContext = {}): Promise<UserView> {
    const user = await newUserRecord(input, this.deps);
    if (!(await this.deps.users.create(user))) {
      throw new AppError('conflict', 'This email address cannot be used to register. If it is yours, sign in instead.');
    }
    await this.deps.audit.record({ type: 'user_created', userId: user.id, ip: context.ip ?? null, detail: { roles: user.roles.join(' ') }, at: user.createdAt });
    return { id: user.id, email: user.email, roles: user.roles };
  }

  /**
   * The credential check of every login (browser session and first-party
   * app). Throws `invalid_credentials` for every kind of failure.
   */
  async checkCredentials(emailInput: string, password: string, context: AttemptContext = {}): Promise<UserView> {
    // Refused before hashing: no stored password can be this long.
    if (isPasswordTooLong(password)) throw invalidCredentials();
    const email = parseEmail(emailInput);
    const user = email ? await this.deps.users.findByEmail(email.normalized) : undefined;
    if (!user) {
      const { users, clock, lockout } = this.deps;
      await users.reserveAttempt(NO_USER, clock.now(), lockout.maxFailures);
      await this.deps.hasher.verify(await this.dummyHash(), normalizePassword(password));
      await this.audit('login_failed', null, context, { reason: 'unknown_user' });
      await users.lockIfExhausted(NO_USER, lockout.maxFailures, clock.now(), clock.now());
      throw invalidCredentials();
    }
    await this.verifyFor(user, password, context);
    if (user.disabledAt) {
      await this.audit('login_failed', user.id, context, { reason: 'disabled' });
      throw invalidCredentials();
    }
    // Only after the password proved the caller knows it, so this says nothing to anyone else.
    if (this.deps.requireVerifiedEmail && !user.emailVerifiedAt) {
      await this.audit('login_failed', user.id, context, { reason: 'email_not_verified' });
      throw new AppError('email_not_verified', 'Confirm your email address first: open the link we sent you. To get a new link, sign up again with the same address or reset your password.');
    }
    await this.audit('login_succeeded', user.id, context);
    return viewOf(user);
  }

  /**
   * Verifies `password` for a known user under the lockout rules and upgrades
   * an outdated hash. Throws `invalid_credentials` on failure.
   */
  private async verifyFor(user: User, password: string, context: AttemptContext): Promise<void> {
    const { users, hasher, clock } = this.deps;
    const normalized = normalizePassword(password);
    await this.underLockout(user, context, {
      check: () => hasher.verify(user.passwordHash, normalized),
      refusal: invalidCredentials,
      failure: 'wrong_password',
      // Locked: the password is not even checked, so guessing during the lock
      // learns nothing; the dummy verification keeps the timing uniform.
      whileLocked: async () => void (await hasher.verify(await this.dummyHash(), normalized)),
    });
    if (hasher.needsRehash(user.passwordHash)) {
      // Parameters were raised since this hash was made: upgrade it while the password is at hand.
      await users.rehashPassword(user.id, await hasher.hash(normalized), clock.now());
    }
  }

  /**
   * One attempt at a credential of a known user, counted by the lockout
   * (the password, a passkey): refused while the account is locked, a
   * failure counted and maybe locking it, a success forgetting past failures.
   */
  private async underLockout(
    user: User,
    context: AttemptContext,
    attempt: { check: () => Promise<boolean>; refusal: () => AppError; failure: string; whileLocked?: () => Promise<void> },
  ): Promise<void> {
    const { users, clock, lockout } = this.deps;
    const reserved = await users.reserveAttempt(user.id, clock.now(), lockout.maxFailures);
    if (!reserved) {
      await attempt.whileLocked?.();
      await this.audit('login_failed', user.id, context, { reason: 'locked' });
      throw attempt.refusal();
    }
    if (!(await attempt.check())) {
      const now = clock.now();
      const until = lockedUntil(now, lockout);
      await this.audit('login_failed', user.id, context, { reason: attempt.failure });
      if (await users.lockIfExhausted(user.id, lockout.maxFailures, until, now)) {
        await this.audit('account_locked', user.id, context, { locked_until: until.toISOString(), failures: lockout.maxFailures });
      }
      throw attempt.refusal();
    }
    await users.clearFailures(user.id, clock.now());
  }

  /**
   * A sign-in with a credential other than the password (a passkey) that
   * names its user: the lockout and disabled-account rules of
   * checkCredentials, and one `refusal` for every failure.
   */
  async checkOtherCredential(
    userId: string,
    credential: { method: string; check: () => Promise<boolean>; refusal: () => AppError },
    context: AttemptContext = {},
  ): Promise<UserView> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw credential.refusal();
    await this.underLockout(user, context, { check: credential.check, refusal: credential.refusal, failure: `wrong_${credential.method}` });
    if (user.disabledAt) {
      await this.audit('login_failed', user.id, context, { reason: 'disabled', method: credential.method });
      throw credential.refusal();
    }
    await this.audit('login_succeeded', user.id, context, { method: credential.method });
    return viewOf(user);
  }

  /** The user behind a live login, or undefined when it no longer exists or is disabled. */
  async activeUser(id: string): Promise<User | undefined> {
    const user = await this.deps.users.findById(id);
    return user && !user.disabledAt ? user : undefined;
  }

  /**
   * Checks a password change by the signed-in user: the new password against
   * the policy, the current one under the same lockout as a login (so a stolen
   * session cannot guess it). Answers the new hash; the account lifecycle
   * commits it together with its notice (AccountLifecycle.changePassword).
   */
  async preparePasswordChange(userId: string, currentPassword: string, newPassword: string, context: AttemptContext = {}): Promise<PasswordChange> {
    const user = await this.activeUser(userId);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.');
    checkNewPassword(newPassword, this.deps.passwordPolicy, [user.emailNormalized, user.emailNormalized.split('@')[0] ?? '']);
    await this.checkCurrentPassword(user, currentPassword, context);
    return { user, passwordHash: await this.deps.hasher.hash(normalizePassword(newPassword)) };
  }

  /**
   * Re-authentication of a signed-in user before a sensitive action (OWASP
   * ASVS V4.3.3 / NIST 800-63B §4.2.3): the password again, under the same
   * lockout as a login, so a stolen session cannot guess it.
   */
  async reauthenticate(userId: string, password: string, context: AttemptContext = {}): Promise<void> {
    const user = await this.activeUser(userId);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.');
    await this.checkCurrentPassword(user, password, context);
    await this.audit('reauthenticated', user.id, context);
  }

  /** `wrong_password` (403) rather than the login's 401, which a signed-in client would take for a lost session. */
  private async checkCurrentPassword(user: User, password: string, context: AttemptContext): Promise<void> {
    try {
      if (isPasswordTooLong(password)) throw invalidCredentials();
      await this.verifyFor(user, password, context);
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_credentials') {
        throw new AppError('wrong_password', 'The current password is incorrect.');
      }
      throw error;
    }
  }

  /** Disables an account; revoking its logins is the caller's next step. Throws not_found for an unknown id. */
  async disable(userId: string, context: AttemptContext & { actorId: string }): Promise<void> {
    const now = this.deps.clock.now();
    if (!(await this.deps.users.disable(userId, now))) throw new AppError('not_found', 'No such user.');
    await this.audit('user_disabled', userId, context, { by: context.actorId });
  }

  private audit(type: Parameters<AuditLog['record']>[0]['type'], userId: string | null, context: AttemptContext, detail?: Record<string, string | number>) {
    return this.deps.audit.record({
      type,
      userId,
      clientId: context.clientId ?? null,
      ip: context.ip ?? null,
      ...(detail ? { detail } : {}),
      at: this.deps.clock.now(),
    });
  }
}
