import type { Passkey } from './passkey.js';

/** A credential to name in options (excluded at registration, allowed at authentication). */
export interface CredentialDescriptor {
  readonly credentialId: string;
  readonly transports: readonly string[];
}

/** What a verified registration proves about the new credential: what the service keeps of it. */
export type VerifiedRegistration = Pick<Passkey, 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'aaguid' | 'backupEligible' | 'backedUp'>;

/** What a verified assertion proves; the counter is for the caller to judge (clone detection). */
export interface VerifiedAssertion {
  readonly counter: number;
  readonly backedUp: boolean;
}

/** Options for the browser (PublicKeyCredentialCreationOptionsJSON or …RequestOptionsJSON) and the challenge they carry. */
export interface CeremonyOptions {
  readonly options: Record<string, unknown>;
  readonly challenge: string;
}

/**
 * The WebAuthn ceremonies (W3C WebAuthn Level 3 §7), against this service's
 * relying party (RP ID and origin from the issuer). Implemented on a
 * WebAuthn library in `crypto/`. The verify methods throw
 * `PasskeyResponseRejected` for any response that does not verify.
 */
export interface WebAuthnCeremonies {
  registrationOptions(input: { userId: string; userName: string; exclude: readonly CredentialDescriptor[] }): Promise<CeremonyOptions>;
  verifyRegistration(response: unknown, expectedChallenge: string): Promise<VerifiedRegistration>;
  authenticationOptions(input: { userVerification: 'required' | 'discouraged'; allow: readonly CredentialDescriptor[] }): Promise<CeremonyOptions>;
  /** The credential id and user handle an assertion names, read before anything is verified; undefined when it is malformed. */
  credentialOf(response: unknown): { credentialId: string; userHandle: string | undefined } | undefined;
  verifyAuthentication(
    response: unknown,
    expectedChallenge: string,
    credential: { credentialId: string; publicKey: Uint8Array; transports: readonly string[] },
    requireUserVerification: boolean,
  ): Promise<VerifiedAssertion>;
  /** The user handle the service gives a user's credentials (WebAuthn §14.6.1: no personal data). */
  userHandleOf(userId: string): string;
}

/** A response that does not verify; `reason` reaches only the log. */
export class PasskeyResponseRejected extends Error {
  override readonly name = 'PasskeyResponseRejected';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options);
  }
}
