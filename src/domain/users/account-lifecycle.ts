import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { MailMessage } from '../mail/mail-message.js';
import type { MailTemplates } from '../mail/templates.js';
import { hashOpaqueToken, looksLikeOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js';
import type { AccountLifecycleStore, AccountTokenPurpose, AccountTransaction } from './account-tokens.js';
import type { PasswordChange } from './accounts.js';
import { parseEmail } from './email.js';
import { newUserRecord } from './new-user.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkNewPassword, normalizePassword, type PasswordPolicy } from './password-policy.js';
import type { User } from './user.js';
import type { UserStore } from './user-store.js';

/**
 * required: no login before the address is proven (sign-up answers 202 and
 * never says whether the email was taken); optional: the mail is sent, login
 * works without it; off: no mail at all.
 */
export type EmailVerificationMode = 'required' | 'optional' | 'off';

export interface AccountLifecycleDeps {
  readonly users: Pick<UserStore, 'findByEmail' | 'findById'>;
  readonly store: AccountLifecycleStore;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly passwordPolicy: PasswordPolicy;
  readonly mail: MailTemplates;
  readonly emailVerification: EmailVerificationMode;
  readonly verificationTtlSeconds: number;
  readonly resetTtlSeconds: number;
  /** How long the outbox keeps trying one message. */
  readonly mailLifetimeSeconds: number;
  /** Called after a commit that queued a message: the worker sends it at once rather than at its next poll. */
  readonly mailQueued: () => void;
}

export interface SignUpResult {
  /** 201 Created, or 202 Accepted when verification is required (the same whether or not the email was free). */
  readonly status: 201 | 202;
  readonly id: string;
  readonly email: string;
}

// Expired, spent, forged and outdated links get one answer: which it was helps no one but an attacker.
const invalidLink = () => new AppError('invalid_link', 'This link is invalid or has expired. Request a new one.');

/**
 * Sign-up with email verification, password reset and the notices they send.
 * Each message is written in the transaction of the change it tells of
 * (the outbox), so it goes out exactly when the change commits.
 */
export class AccountLifecycle {
  constructor(private readonly deps: AccountLifecycleDeps) {}

  async signUp(input: { email: string; password: string }, context: { ip?: string | null } = {}): Promise<SignUpResult> {
    const { emailVerification: mode, mail } = this.deps;
    const user = await newUserRecord(input, this.deps);
    // Read for both outcomes, so a taken email costs the same round trips as a free one.
    const existing = await this.deps.users.findByEmail(user.emailNormalized);
    const created = await this.inTransaction(async (tx) => {
      if (await tx.createUser(user)) {
        if (mode !== 'off') await this.issueToken(tx, user.id, 'email_verification', this.verificationMail(user.email));
        return true;
      }
      // The owner learns of the attempt, the caller nothing (the same 202 and body). An owner who never
      // verified (and so cannot sign in) gets a new link instead: signing up again is how they ask for one.
      if (mode === 'required' && existing && !existing.disabledAt) {
        if (existing.emailVerifiedAt) await this.enqueue(tx, mail.registrationAttempt(existing.email));
        else await this.issueToken(tx, existing.id, 'email_verification', this.verificationMail(existing.email));
      }
      return false;
    });
    if (!created) {
      if (mode === 'required') return { status: 202, id: randomUUID(), email: user.email };
      throw new AppError('conflict', 'This email address cannot be used to register. If it is yours, sign in instead.');
    }
    await this.deps.audit.record({ type: 'user_created', userId: user.id, ip: context.ip ?? null, detail: { roles: user.roles.join(' ') }, at: user.createdAt });
    return { status: mode === 'required' ? 202 : 201, id: user.id, email: user.email };
  }

  /** Sends a new verification link, unless the address is already verified (or verification is off). */
  async resendVerification(userId: string): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (!user || user.disabledAt || user.emailVerifiedAt || this.deps.emailVerification === 'off') return;
    await this.inTransaction((tx) => this.issueToken(tx, user.id, 'email_verification', this.verificationMail(user.email)));
  }

  /** Spends a verification link; answers the user whose address it proved. */
  async completeVerification(token: string): Promise<string> {
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const owner = looksLikeOpaqueToken(token) ? await tx.consumeToken(hashOpaqueToken(token), 'email_verification', now) : undefined;
      if (!owner) throw invalidLink();
      await tx.markEmailVerified(owner, now);
      return owner;
    });
  }

  /**
   * Starts a reset. The same work for every address up to the write: the
   * lookup, a token and the rendered message; only an existing, enabled
   * account gets the token and message written (docs/accounts.md, timing).
   */
  async requestPasswordReset(emailInput: string): Promise<void> {
    const email = parseEmail(emailInput);
    const user = email ? await this.deps.users.findByEmail(email.normalized) : undefined;
    const minutes = this.deps.resetTtlSeconds / 60;
    if (!user || user.disabledAt) {
      // Rendered and dropped: the token and template work an existing account costs, without the write.
      this.deps.mail.passwordReset(email?.display ?? '', newOpaqueToken(), minutes);
      return;
    }
    await this.inTransaction((tx) => this.issueToken(tx, user.id, 'password_reset', (token) => this.deps.mail.passwordReset(user.email, token, minutes)));
  }

  /**
   * Completes a reset: a new password (policy checked first, so a weak one
   * spends nothing), the link spent, the lockout cleared and a notice queued,
   * in one transaction. Answers the user, whose logins the caller revokes.
   */
  async completePasswordReset(token: string, newPassword: string, context: { ip?: string | null } = {}): Promise<User> {
    const { store, clock, users, hasher } = this.deps;
    if (!looksLikeOpaqueToken(token)) throw invalidLink();
    const hash = hashOpaqueToken(token);
    const ownerId = await store.findLiveToken(hash, 'password_reset', clock.now());
    const user = ownerId ? await users.findById(ownerId) : undefined;
    if (!user) throw invalidLink();
    checkNewPassword(newPassword, this.deps.passwordPolicy, [user.emailNormalized, user.emailNormalized.split('@')[0] ?? '']);
    const passwordHash = await hasher.hash(normalizePassword(newPassword));
    const now = clock.now();
    await this.inTransaction(async (tx) => {
      // Spent here, not at the read above: of two concurrent completions, one wins.
      if ((await tx.consumeToken(hash, 'password_reset', now)) !== user.id) throw invalidLink();
      await tx.setNewPassword(user.id, passwordHash, now);
      // The link reached this mailbox: that proves the address as a verification link would.
      await tx.markEmailVerified(user.id, now);
      await this.enqueue(tx, this.deps.mail.passwordChanged(user.email));
    });
    await this.deps.audit.record({ type: 'password_changed', userId: user.id, ip: context.ip ?? null, detail: { via: 'reset' }, at: now });
    return user;
  }

  /**
   * Commits a checked password change (Accounts.preparePasswordChange) and its
   * notice in one transaction, so the notice goes out exactly when the change
   * does. Revoking the user's logins is the caller's next step.
   */
  async changePassword({ user, passwordHash }: PasswordChange, context: { ip?: string | null; clientId?: string | null } = {}): Promise<User> {
    const now = this.deps.clock.now();
    await this.inTransaction(async (tx) => {
      await tx.setNewPassword(user.id, passwordHash, now);
      await this.enqueue(tx, this.deps.mail.passwordChanged(user.email));
    });
    await this.deps.audit.record({ type: 'password_changed', userId: user.id, clientId: context.clientId ?? null, ip: context.ip ?? null, at: now });
    return user;
  }

  private verificationMail(to: string) {
    return (token: string) => this.deps.mail.verifyEmail(to, token, this.deps.verificationTtlSeconds / 3600);
  }

  private async issueToken(tx: AccountTransaction, userId: string, purpose: AccountTokenPurpose, render: (token: string) => MailMessage): Promise<void> {
    const now = this.deps.clock.now();
    const ttl = purpose === 'password_reset' ? this.deps.resetTtlSeconds : this.deps.verificationTtlSeconds;
    const token = newOpaqueToken();
    await tx.insertToken({ hash: hashOpaqueToken(token), purpose, userId, bindToPassword: purpose === 'password_reset', createdAt: now, expiresAt: new Date(now.getTime() + ttl * 1000) });
    await this.enqueue(tx, render(token));
  }

  private enqueue(tx: AccountTransaction, message: MailMessage): Promise<void> {
    const now = this.deps.clock.now();
    return tx.outbox.enqueue(message, now, new Date(now.getTime() + this.deps.mailLifetimeSeconds * 1000));
  }

  /** A transaction that may queue mail: the worker is woken once it committed. */
  private async inTransaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    const result = await this.deps.store.transaction(work);
    this.deps.mailQueued();
    return result;
  }
}
