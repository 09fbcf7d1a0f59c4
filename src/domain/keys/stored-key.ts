import { createPublicKey, type KeyObject } from 'node:crypto';
import { publicJwkOf, thumbprint } from './key-generation.js';
import { unwrapPrivateKey } from './key-wrap.js';
import type { PublicEcJwk, SigningKeyRecord } from './signing-key.js';

/** A stored key, decrypted and checked: safe to sign with and to publish. */
export interface OpenedSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: PublicEcJwk;
}

/**
 * Decrypts a stored key and derives its public half from the private key,
 * never from the row's public column: only a ciphertext made under our KEK
 * for this very kid opens, so write access to the database alone cannot plant
 * a key that verifies tokens. Throws when the key does not open or match its kid.
 */
export async function openSigningKey(wrapKey: Buffer, key: SigningKeyRecord): Promise<OpenedSigningKey> {
  const privateKey = unwrapPrivateKey(wrapKey, key.kid, key.privateKeyEnc);
  const publicJwk = publicJwkOf(privateKey);
  if ((await thumbprint(publicJwk)) !== key.kid) throw new Error(`signing key ${key.kid} does not match its kid`);
  return { privateKey, publicKey: createPublicKey(privateKey), publicJwk };
}
