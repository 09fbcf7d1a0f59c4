import type { KeyObject } from 'node:crypto';

/** The key that signs access tokens right now. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/** The JWKS document, serialised once per change so serving it costs nothing. */
export interface PublishedJwks {
  readonly body: string;
  /** Strong ETag of `body` (quoted), for If-None-Match. */
  readonly etag: string;
}

/**
 * What token code needs from the signing keys. Implementations keep keys in
 * memory and reload them from the store, so signing and verifying never wait
 * on the database in the steady state.
 */
export interface KeyRing {
  signingKey(): Promise<ActiveSigningKey>;
  /** The public key for a `kid`, or undefined when it is unknown, removed from the JWKS or compromised. */
  verificationKey(kid: string): Promise<KeyObject | undefined>;
  jwks(): Promise<PublishedJwks>;
}
