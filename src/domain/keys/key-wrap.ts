import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';

const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;

/** A stored private key that does not decrypt: another KEY_ENCRYPTION_KEY, a damaged row, or a row moved to another kid. */
export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
  constructor(
    readonly kid: string,
    options?: ErrorOptions,
  ) {
    super(`signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_KEY is not the one it was stored with, or the row was altered`, options);
  }
}

/**
 * Encrypts a private key for storage with AES-256-GCM: iv ‖ tag ‖ ciphertext
 * of its PKCS#8 DER. The kid is the additional authenticated data, so a
 * ciphertext copied onto another row (another kid) no longer decrypts.
 */
export function wrapPrivateKey(wrapKey: Buffer, kid: string, privateKey: KeyObject): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const plaintext = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

export function unwrapPrivateKey(wrapKey: Buffer, kid: string, wrapped: Uint8Array): KeyObject {
  const blob = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (blob.length <= IV_BYTES + TAG_BYTES) throw new KeyUnwrapError(kid);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKey, blob.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    plaintext = Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new KeyUnwrapError(kid, { cause: error });
  }
  try {
    return createPrivateKey({ key: plaintext, format: 'der', type: 'pkcs8' });
  } finally {
    plaintext.fill(0);
  }
}
