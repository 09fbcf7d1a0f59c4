/** A user's passkey as the service keeps it (WebAuthn Level 3 §6.1, §6.1.3). */
export interface Passkey {
  readonly id: string;
  readonly userId: string;
  /** base64url, as the authenticator made it: the key the browser names in every assertion. */
  readonly credentialId: string;
  /** COSE_Key (RFC 9053); verifies assertions, never shown to anyone. */
  readonly publicKey: Uint8Array;
  /** The last signature counter seen; 0 for authenticators that do not count. */
  readonly counter: number;
  readonly transports: readonly string[];
  /** The authenticator model (all zeroes when attestation is "none" and the authenticator hides it). */
  readonly aaguid: string;
  /** BE: the private key may be synced to other devices. */
  readonly backupEligible: boolean;
  /** BS: it is synced, as last seen. */
  readonly backedUp: boolean;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

export type NewPasskey = Omit<Passkey, 'lastUsedAt'>;

/**
 * The RFC 8176 `amr` value of a sign-in with this passkey: `hwk` when the key
 * is bound to one authenticator, `swk` when it may be synced (backup
 * eligible: a copy of the private key lives in software, in a cloud keychain).
 */
export const authenticationMethodOf = (passkey: Pick<Passkey, 'backupEligible'>): 'hwk' | 'swk' => (passkey.backupEligible ? 'swk' : 'hwk');

/**
 * WebAuthn §6.1.1: a counter that does not grow, on an authenticator that
 * counts, means two copies of the private key are in use (a cloned
 * authenticator). Authenticators that do not count (synced passkeys) answer
 * 0 every time.
 */
export const isCloneSuspected = (stored: number, presented: number): boolean => (presented > 0 || stored > 0) && presented <= stored;

/** What the API shows of a passkey: never the public key or the credential id's bytes beyond its id. */
export interface PasskeyView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly synced: boolean;
  readonly backedUp: boolean;
  readonly transports: readonly string[];
  readonly aaguid: string;
}

export const passkeyViewOf = (passkey: Passkey): PasskeyView => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: passkey.createdAt,
  lastUsedAt: passkey.lastUsedAt,
  synced: passkey.backupEligible,
  backedUp: passkey.backedUp,
  transports: passkey.transports,
  aaguid: passkey.aaguid,
});
