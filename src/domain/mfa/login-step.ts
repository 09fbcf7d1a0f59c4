import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { hashOpaqueToken, looksLikeOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js';
import { AMR } from './amr.js';
import type { CheckContext, SecondFactorCheck } from './second-factor-check.js';
import type { SecondFactors } from './second-factors.js';
import type { MfaChallenge, MfaChallengeStore } from './stores.js';

/** Long enough to open an authenticator app, short enough that a stolen token is soon worthless. */
export const MFA_STEP_TTL_SECONDS = 300;
/** Wrong codes one pending step tolerates before the password must be typed again (the lockout counts them too). */
export const MFA_STEP_MAX_FAILURES = 5;

/** What the password step was for: the app's client, scope and DPoP key, or (all null) a browser login. */
export interface LoginBinding {
  readonly clientId: string | null;
  readonly scope: string | null;
  readonly dpopJkt: string | null;
}

/** A browser login: no client, scope or DPoP key (the session is what it is bound to). */
export const BROWSER_LOGIN: LoginBinding = { clientId: null, scope: null, dpopJkt: null };

export interface CompletedLogin {
  readonly userId: string;
  readonly binding: LoginBinding;
  /** `pwd` and the second factor's methods. */
  readonly amr: readonly string[];
}

export type PasswordStepOutcome =
  | { readonly kind: 'signed_in'; readonly amr: readonly string[] }
  | { readonly kind: 'mfa_required'; readonly token: string; readonly methods: readonly string[]; readonly expiresIn: number };

export interface MfaLoginStepDeps {
  readonly factors: SecondFactors;
  readonly challenges: MfaChallengeStore;
  readonly check: SecondFactorCheck;
  readonly clock: Clock;
}

const expired = () => new AppError('mfa_expired', 'This sign-in has expired or was already completed. Sign in again.');

/**
 * The second step of a login. After a correct password, an account with a
 * second factor gets an opaque, single-use token (stored only as a hash)
 * instead of a session; the code completes the login it is bound to.
 */
export class MfaLoginStep {
  constructor(private readonly deps: MfaLoginStepDeps) {}

  /**
   * After a correct password. `required`: the client demands a second factor
   * (`require_mfa`), so an account without one is refused rather than signed in.
   */
  async afterPassword(userId: string, binding: LoginBinding, required = false): Promise<PasswordStepOutcome> {
    const factors = await this.deps.factors.list(userId);
    if (!(await this.deps.factors.isEnrolled(userId))) {
      if (required) throw new AppError('mfa_enrollment_required', 'This application requires a second factor. Set one up at /account/security first.');
      return { kind: 'signed_in', amr: [AMR.password] };
    }
    const token = newOpaqueToken();
    const now = this.deps.clock.now();
    await this.deps.challenges.insert({
      tokenHash: hashOpaqueToken(token),
      userId,
      ...binding,
      createdAt: now,
      expiresAt: new Date(now.getTime() + MFA_STEP_TTL_SECONDS * 1000),
    });
    return { kind: 'mfa_required', token, methods: [...new Set(factors.map((factor) => factor.kind))], expiresIn: MFA_STEP_TTL_SECONDS };
  }

  /**
   * Completes the login with a code (TOTP or recovery). `dpopJkt` is the key
   * of this request's proof: a login started with a DPoP key finishes only
   * with that key.
   */
  complete(token: string, code: string, dpopJkt: string | null, surface: 'app' | 'browser', context: CheckContext = {}): Promise<CompletedLogin> {
    return this.completeWith(token, dpopJkt, surface, (challenge) => this.deps.check.verify(challenge.userId, code, { ...context, clientId: challenge.clientId }));
  }

  /**
   * Completes the login with any proof of a second factor: `prove` answers the
   * methods it proves (RFC 8176), or undefined when it fails, which counts
   * against the step. Other factor kinds (passkeys) finish the step through it.
   */
  async completeWith(token: string, dpopJkt: string | null, surface: 'app' | 'browser', prove: (challenge: MfaChallenge) => Promise<readonly string[] | undefined>): Promise<CompletedLogin> {
    const challenge = await this.liveChallenge(token, surface);
    const { tokenHash } = challenge;
    if (challenge.dpopJkt !== dpopJkt) throw new AppError('invalid_dpop_proof', 'Finish the sign-in with a DPoP proof of the key it was started with.');
    const methods = await prove(challenge);
    if (!methods) {
      await this.deps.challenges.recordFailure(tokenHash);
      throw new AppError('invalid_mfa_code', 'The code is incorrect or was already used.');
    }
    if (!(await this.deps.challenges.consume(tokenHash, this.deps.clock.now()))) throw expired();
    const { clientId, scope } = challenge;
    return { userId: challenge.userId, binding: { clientId, scope, dpopJkt: challenge.dpopJkt }, amr: [AMR.password, ...methods] };
  }

  /** The user a pending step is for, so a factor can prepare its challenge (a passkey's allowed credentials). */
  async pendingUser(token: string, surface: 'app' | 'browser'): Promise<string> {
    return (await this.liveChallenge(token, surface)).userId;
  }

  private async liveChallenge(token: string, surface: 'app' | 'browser'): Promise<MfaChallenge> {
    if (!looksLikeOpaqueToken(token)) throw expired();
    const challenge = await this.deps.challenges.findLive(hashOpaqueToken(token), this.deps.clock.now(), MFA_STEP_MAX_FAILURES);
    // A browser's step finishes in that browser, an app's at the app endpoint: neither spends the other's code.
    if (!challenge || (challenge.clientId === null) !== (surface === 'browser')) throw expired();
    return challenge;
  }
}

/**
 * The answer to a correct password when a second factor is due: 401
 * `mfa_required` carrying the token that continues the login (RFC 9457
 * extension members), never a session or tokens.
 */
export const mfaRequired = (step: Extract<PasswordStepOutcome, { kind: 'mfa_required' }>, carry: 'token' | 'session') =>
  new AppError('mfa_required', 'Enter the code from your authenticator app, or a recovery code.', {
    // A browser's step lives in its session: the token never leaves the server there.
    extensions: { ...(carry === 'token' ? { mfa_token: step.token } : {}), methods: step.methods, expires_in: step.expiresIn },
  });
