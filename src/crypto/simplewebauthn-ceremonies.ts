import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import {
  PasskeyResponseRejected,
  type CeremonyOptions,
  type CredentialDescriptor,
  type VerifiedAssertion,
  type VerifiedRegistration,
  type WebAuthnCeremonies,
} from '../domain/passkeys/ceremonies.js';

export interface RelyingParty {
  readonly name: string;
  /** The issuer's hostname. */
  readonly id: string;
  /** The issuer's origin: the only page a ceremony may come from. */
  readonly origin: string;
  readonly timeoutSeconds: number;
}

const uuidBytes = (uuid: string) => Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
const transportsOf = (descriptors: readonly CredentialDescriptor[]) =>
  descriptors.map((d) => ({ id: d.credentialId, transports: [...d.transports] }));

/** The library reports every failed check by throwing a plain Error: all of them are the response's fault. */
async function verifying<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new PasskeyResponseRejected(error instanceof Error ? error.message : 'unverifiable response', { cause: error });
  }
}

/** The WebAuthn ceremonies on SimpleWebAuthn, for one relying party. */
export class SimpleWebAuthnCeremonies implements WebAuthnCeremonies {
  constructor(private readonly rp: RelyingParty) {}

  userHandleOf(userId: string): string {
    return isoBase64URL.fromBuffer(uuidBytes(userId));
  }

  async registrationOptions(input: { userId: string; userName: string; exclude: readonly CredentialDescriptor[] }): Promise<CeremonyOptions> {
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: input.userName,
      userID: uuidBytes(input.userId),
      timeout: this.rp.timeoutSeconds * 1000,
      // No attestation: the service trusts no particular authenticator model, and "none" asks for no identifying certificate.
      attestationType: 'none',
      excludeCredentials: transportsOf(input.exclude),
      // A discoverable credential signs in without an email first (a passkey); preferred, so a security key
      // that cannot store one still works as a second factor.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    return { options: options as unknown as Record<string, unknown>, challenge: options.challenge };
  }

  async verifyRegistration(response: unknown, expectedChallenge: string): Promise<VerifiedRegistration> {
    const { registrationInfo, verified } = await verifying(() =>
      verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        // As the options asked: preferred, so a key without a PIN may still register.
        requireUserVerification: false,
      }),
    );
    if (!verified) throw new PasskeyResponseRejected('registration not verified');
    return {
      credentialId: registrationInfo.credential.id,
      publicKey: registrationInfo.credential.publicKey,
      counter: registrationInfo.credential.counter,
      transports: registrationInfo.credential.transports ?? [],
      aaguid: registrationInfo.aaguid,
      backupEligible: registrationInfo.credentialDeviceType === 'multiDevice',
      backedUp: registrationInfo.credentialBackedUp,
    };
  }

  async authenticationOptions(input: { userVerification: 'required' | 'discouraged'; allow: readonly CredentialDescriptor[] }): Promise<CeremonyOptions> {
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      allowCredentials: transportsOf(input.allow),
      userVerification: input.userVerification,
      timeout: this.rp.timeoutSeconds * 1000,
    });
    return { options: options as unknown as Record<string, unknown>, challenge: options.challenge };
  }

  credentialOf(response: unknown): { credentialId: string; userHandle: string | undefined } | undefined {
    const { id, response: assertion } = (response ?? {}) as Partial<AuthenticationResponseJSON>;
    if (typeof id !== 'string' || !isoBase64URL.isBase64URL(id)) return undefined;
    const userHandle = assertion?.userHandle;
    return { credentialId: id, userHandle: typeof userHandle === 'string' && userHandle !== '' ? userHandle : undefined };
  }

  async verifyAuthentication(
    response: unknown,
    expectedChallenge: string,
    credential: { credentialId: string; publicKey: Uint8Array; transports: readonly string[] },
    requireUserVerification: boolean,
  ): Promise<VerifiedAssertion> {
    const { verified, authenticationInfo } = await verifying(() =>
      verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        // Counter 0: the library checks the signature only; the domain judges the counter (isCloneSuspected) and says why.
        credential: { id: credential.credentialId, publicKey: credential.publicKey as Uint8Array<ArrayBuffer>, counter: 0, transports: [...credential.transports] },
        requireUserVerification,
      }),
    );
    if (!verified) throw new PasskeyResponseRejected('signature not verified');
    return { counter: authenticationInfo.newCounter, backedUp: authenticationInfo.credentialBackedUp };
  }
}
