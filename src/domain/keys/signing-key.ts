/** The public half of a P-256 key as RFC 7517 §4 / RFC 7518 §6.2.1 spell it; never holds `d`. */
export interface PublicEcJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/**
 * A signing key as stored. Its phase follows from these dates alone (see
 * key-phase.ts), so every replica reading the same rows agrees on which key
 * signs at a given instant.
 */
export interface SigningKeyRecord {
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  readonly kid: string;
  readonly publicJwk: PublicEcJwk;
  /** iv ‖ tag ‖ AES-256-GCM ciphertext of the PKCS#8 private key (key-wrap.ts). */
  readonly privateKeyEnc: Uint8Array;
  readonly createdAt: Date;
  /** In the JWKS from creation; signs from this instant on. */
  readonly activatesAt: Date;
  /** Stops signing at this instant; stays published while tokens it signed can still be valid. */
  readonly retiredAt: Date | null;
  /** Emergency retirement: unpublished at once and every token it signed rejected. */
  readonly compromisedAt: Date | null;
}
