import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Accounts, AttemptContext } from '../users/accounts.js';
import type { UserView } from '../users/user.js';
import { PasskeyResponseRejected, type WebAuthnCeremonies } from './ceremonies.js';
import type { CeremonyPurpose, ChallengeStore } from './challenge-store.js';
import { authenticationMethodOf, isCloneSuspected, passkeyViewOf, type Passkey, type PasskeyView } from './passkey.js';
import type { PasskeyStore } from './passkey-store.js';

export interface PasskeyDeps {
  readonly passkeys: PasskeyStore;
  readonly challenges: ChallengeStore;
  readonly ceremonies: WebAuthnCeremonies;
  readonly accounts: Pick<Accounts, 'activeUser' | 'checkOtherCredential'>;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** How long a ceremony's challenge stays answerable. */
  readonly timeoutSeconds: number;
}

/** A passkey sign-in: who, and the RFC 8176 method it counts as. */
export interface PasskeySignIn {
  readonly user: UserView;
  readonly amr: readonly ['hwk' | 'swk'];
}

const MAX_PASSKEYS_PER_USER = 20;

// One answer for an unknown credential, a bad signature, a suspected clone, a
// locked or disabled account: the response says nothing of which it was.
const notAccepted = () => new AppError('invalid_credentials', 'The passkey was not accepted.');

const rejected = (detail: string, internal?: string) => new AppError('passkey_rejected', detail, internal ? { internal } : {});
const noCeremony = () => rejected('No passkey request is under way for this session, or it expired: ask for new options and try again.');

/**
 * Passkey use-cases: registering a signed-in user's credentials, listing and
 * removing them, and signing in with one (WebAuthn Level 3 §7). Every
 * challenge is the server's, single use, bound to the browser session (and
 * to the user where there is one) and short-lived.
 */
export class Passkeys {
  constructor(private readonly deps: PasskeyDeps) {}

  /** Options for navigator.credentials.create(): a discoverable credential, so it can sign in without an email. */
  async registrationOptions(userId: string, sessionId: string): Promise<Record<string, unknown>> {
    const user = await this.deps.accounts.activeUser(userId);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.');
    const existing = await this.deps.passkeys.listByUser(userId);
    if (existing.length >= MAX_PASSKEYS_PER_USER) throw new AppError('conflict', `An account holds at most ${MAX_PASSKEYS_PER_USER} passkeys: remove one first.`);
    const { options, challenge } = await this.deps.ceremonies.registrationOptions({ userId, userName: user.email, exclude: existing.map(descriptorOf) });
    await this.issue(sessionId, 'registration', challenge, userId);
    return options;
  }

  /** Verifies the browser's answer to registrationOptions and keeps the credential. */
  async register(userId: string, sessionId: string, response: unknown, name: string | undefined, context: AttemptContext = {}): Promise<PasskeyView> {
    const pending = await this.deps.challenges.take(sessionId, 'registration', this.deps.clock.now());
    if (!pending) throw noCeremony();
    // The challenge was issued to this user: a session that changed hands in between cannot use it.
    if (pending.userId !== userId) throw noCeremony();
    let verified;
    try {
      verified = await this.deps.ceremonies.verifyRegistration(response, pending.challenge);
    } catch (error) {
      if (error instanceof PasskeyResponseRejected) throw rejected('The passkey could not be verified for this site. Try again.', error.reason);
      throw error;
    }
    const now = this.deps.clock.now();
    const passkey = {
      id: randomUUID(),
      userId,
      ...verified,
      name: name?.trim() || `Passkey added ${now.toISOString().slice(0, 10)}`,
      createdAt: now,
    };
    if (!(await this.deps.passkeys.create(passkey))) throw rejected('This passkey is already registered.');
    await this.deps.audit.record({
      type: 'passkey_added',
      userId,
      ip: context.ip ?? null,
      detail: { passkey: passkey.id, synced: passkey.backupEligible, aaguid: passkey.aaguid },
      at: now,
    });
    return passkeyViewOf({ ...passkey, lastUsedAt: null });
  }

  async list(userId: string): Promise<PasskeyView[]> {
    return (await this.deps.passkeys.listByUser(userId)).map(passkeyViewOf);
  }

  async rename(userId: string, id: string, name: string): Promise<void> {
    if (!name.trim()) throw new AppError('validation_failed', 'Give the passkey a name.');
    if (!(await this.deps.passkeys.rename(userId, id, name.trim()))) throw new AppError('not_found', 'You have no such passkey.');
  }

  async remove(userId: string, id: string, context: AttemptContext & { actorId?: string } = {}): Promise<void> {
    if (!(await this.deps.passkeys.remove(userId, id))) throw new AppError('not_found', 'You have no such passkey.');
    await this.deps.audit.record({ type: 'passkey_removed', userId, ip: context.ip ?? null, detail: { passkey: id, by: context.actorId ?? userId }, at: this.deps.clock.now() });
  }

  /** Removes every passkey of the user (a reset of lost second factors, docs/mfa.md); answers how many. */
  async removeAll(userId: string): Promise<number> {
    const removed = await this.deps.passkeys.removeAll(userId);
    if (removed > 0) await this.deps.audit.record({ type: 'passkey_removed', userId, detail: { all: true, count: removed }, at: this.deps.clock.now() });
    return removed;
  }

  /**
   * Options for navigator.credentials.get() as a first factor: no
   * allowCredentials (the browser offers the discoverable credentials it has
   * for this RP), and user verification required, since the passkey stands
   * in for both the password and a second factor.
   */
  async signInOptions(sessionId: string): Promise<Record<string, unknown>> {
    const { options, challenge } = await this.deps.ceremonies.authenticationOptions({ userVerification: 'required', allow: [] });
    await this.issue(sessionId, 'authentication', challenge, null);
    return options;
  }

  /** Signs in with the browser's answer to signInOptions: the credential names the user. */
  async signIn(sessionId: string, response: unknown, context: AttemptContext = {}): Promise<PasskeySignIn> {
    const pending = await this.deps.challenges.take(sessionId, 'authentication', this.deps.clock.now());
    if (!pending) throw noCeremony();
    const named = this.deps.ceremonies.credentialOf(response);
    const passkey = named && (await this.deps.passkeys.findByCredentialId(named.credentialId));
    // §7.2 step 6: a user handle, when the authenticator returns one, must be the credential owner's.
    if (!named || !passkey || (named.userHandle !== undefined && named.userHandle !== this.deps.ceremonies.userHandleOf(passkey.userId))) {
      await this.deps.audit.record({ type: 'login_failed', userId: null, ip: context.ip ?? null, detail: { reason: 'unknown_passkey', method: 'passkey' }, at: this.deps.clock.now() });
      throw notAccepted();
    }
    const user = await this.deps.accounts.checkOtherCredential(
      passkey.userId,
      { method: 'passkey', check: () => this.verifyAssertion(passkey, response, pending.challenge, true, context), refusal: notAccepted },
      context,
    );
    return { user, amr: [authenticationMethodOf(passkey)] };
  }

  /**
   * Options for a passkey as the second step after a password: the pending
   * user's own credentials only, user verification not asked (the password
   * was the knowledge factor; the passkey proves possession).
   */
  async secondFactorOptions(sessionId: string, userId: string): Promise<Record<string, unknown>> {
    const existing = await this.deps.passkeys.listByUser(userId);
    if (existing.length === 0) throw rejected('This account has no passkey: use another way to finish signing in.');
    const { options, challenge } = await this.deps.ceremonies.authenticationOptions({ userVerification: 'discouraged', allow: existing.map(descriptorOf) });
    await this.issue(sessionId, 'second_factor', challenge, userId);
    return options;
  }

  /** The RFC 8176 method a passkey assertion proves for the pending user's second step, or undefined when it does not verify. */
  async verifySecondFactor(sessionId: string, userId: string, response: unknown, context: AttemptContext = {}): Promise<readonly ['hwk' | 'swk'] | undefined> {
    const pending = await this.deps.challenges.take(sessionId, 'second_factor', this.deps.clock.now());
    if (!pending || pending.userId !== userId) throw noCeremony();
    const named = this.deps.ceremonies.credentialOf(response);
    const passkey = named && (await this.deps.passkeys.findByCredentialId(named.credentialId));
    if (!passkey || passkey.userId !== userId) return undefined;
    return (await this.verifyAssertion(passkey, response, pending.challenge, false, context)) ? [authenticationMethodOf(passkey)] : undefined;
  }

  /** Verifies the signature, then the counter (clone detection), then records the use; false for any failure. */
  private async verifyAssertion(passkey: Passkey, response: unknown, challenge: string, requireUserVerification: boolean, context: AttemptContext): Promise<boolean> {
    let assertion;
    try {
      assertion = await this.deps.ceremonies.verifyAuthentication(response, challenge, passkey, requireUserVerification);
    } catch (error) {
      if (error instanceof PasskeyResponseRejected) return false;
      throw error;
    }
    const now = this.deps.clock.now();
    if (isCloneSuspected(passkey.counter, assertion.counter) || !(await this.deps.passkeys.recordUse(passkey.id, { counter: assertion.counter, backedUp: assertion.backedUp, at: now }))) {
      await this.deps.audit.record({
        type: 'passkey_clone_suspected',
        userId: passkey.userId,
        ip: context.ip ?? null,
        detail: { passkey: passkey.id, stored_counter: passkey.counter, presented_counter: assertion.counter },
        at: now,
      });
      return false;
    }
    return true;
  }

  private async issue(sessionId: string, purpose: CeremonyPurpose, challenge: string, userId: string | null): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.challenges.put(sessionId, purpose, { challenge, userId, expiresAt: new Date(now.getTime() + this.deps.timeoutSeconds * 1000) }, now);
  }
}

const descriptorOf = (passkey: Passkey) => ({ credentialId: passkey.credentialId, transports: passkey.transports });
