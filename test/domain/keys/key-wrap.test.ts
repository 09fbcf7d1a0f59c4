import { createPublicKey, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../src/domain/keys/key-generation.js';
import { KeyUnwrapError, unwrapPrivateKey, wrapPrivateKey } from '../../../src/domain/keys/key-wrap.js';
import { deriveSubkey } from '../../../src/domain/secrets.js';

const wrapKey = deriveSubkey(randomBytes(32), 'signing-key-wrap');

describe('private key wrapping (AES-256-GCM)', () => {
  it('round-trips a key that still signs what the public key verifies', async () => {
    const { kid, privateKey } = await generateSigningKey();
    const unwrapped = unwrapPrivateKey(wrapKey, kid, wrapPrivateKey(wrapKey, kid, privateKey));
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(unwrapped);
    await expect(jwtVerify(token, createPublicKey(privateKey))).resolves.toBeDefined();
  });

  it('stores iv ‖ tag ‖ ciphertext with a fresh IV, and never the PKCS#8 bytes', async () => {
    const { kid, privateKey } = await generateSigningKey();
    const a = wrapPrivateKey(wrapKey, kid, privateKey);
    const b = wrapPrivateKey(wrapKey, kid, privateKey);
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    expect(a.length).toBe(12 + 16 + pkcs8.length);
    expect(a.includes(pkcs8.subarray(-32))).toBe(false);
  });

  it('refuses another key-encryption key', async () => {
    const { kid, privateKey } = await generateSigningKey();
    const wrapped = wrapPrivateKey(wrapKey, kid, privateKey);
    const other = deriveSubkey(randomBytes(32), 'signing-key-wrap');
    expect(() => unwrapPrivateKey(other, kid, wrapped)).toThrow(KeyUnwrapError);
  });

  it('refuses a ciphertext moved onto another kid (the kid is authenticated data)', async () => {
    const first = await generateSigningKey();
    const second = await generateSigningKey();
    const wrapped = wrapPrivateKey(wrapKey, first.kid, first.privateKey);
    expect(() => unwrapPrivateKey(wrapKey, second.kid, wrapped)).toThrow(KeyUnwrapError);
  });

  it('refuses any altered byte, and a truncated blob', async () => {
    const { kid, privateKey } = await generateSigningKey();
    const wrapped = wrapPrivateKey(wrapKey, kid, privateKey);
    for (const index of [0, 12, 28, wrapped.length - 1]) {
      const tampered = Buffer.from(wrapped);
      tampered[index]! ^= 1;
      expect(() => unwrapPrivateKey(wrapKey, kid, tampered)).toThrow(KeyUnwrapError);
    }
    expect(() => unwrapPrivateKey(wrapKey, kid, wrapped.subarray(0, 28))).toThrow(KeyUnwrapError);
  });

  it('says which key failed without echoing any key material', async () => {
    const { kid, privateKey } = await generateSigningKey();
    const wrapped = wrapPrivateKey(wrapKey, kid, privateKey);
    const error = (() => {
      try {
        unwrapPrivateKey(deriveSubkey(randomBytes(32), 'signing-key-wrap'), kid, wrapped);
      } catch (caught) {
        return caught as KeyUnwrapError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.kid).toBe(kid);
    expect(error.message).toContain(kid);
    expect(error.message).toMatch(/KEY_ENCRYPTION_KEY/);
  });
});
