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
 * AES-256-GCM for secrets at rest: iv ‖ tag ‖ ciphertext. `aad` names the
 * row the secret belongs to, so a ciphertext copied onto another row no
 * longer decrypts.
 */
export function sealSecret(wrapKey: Buffer, aad: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext of sealSecret; undefined when the key, the aad or the bytes are not the ones it was sealed with. */
export function openSecret(wrapKey: Buffer, aad: string, sealed: Uint8Array): Buffer | undefined {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKey, blob.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Encrypts a private key for storage: sealSecret of its PKCS#8 DER, the kid as additional authenticated data. */
export function wrapPrivateKey(wrapKey: Buffer, kid: string, privateKey: KeyObject): Buffer {
  const plaintext = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    return sealSecret(wrapKey, kid, plaintext);
  } finally {
    plaintext.fill(0);
  }
}

export function unwrapPrivateKey(wrapKey: Buffer, kid: string, wrapped: Uint8Array): KeyObject {
  const plaintext = openSecret(wrapKey, kid, wrapped);
  if (!plaintext) throw new KeyUnwrapError(kid);
  try {
    return createPrivateKey({ key: plaintext, format: 'der', type: 'pkcs8' });
  } finally {
    plaintext.fill(0);
  }
}
