import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../src/domain/keys/key-generation.js';

describe('generateSigningKey', () => {
  it('makes P-256 keys whose kid is the RFC 7638 thumbprint, unique per key', async () => {
    const a = await generateSigningKey();
    const b = await generateSigningKey();
    expect(a.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Object.keys(a.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(a.kid).toBe(await calculateJwkThumbprint(a.privateKey.export({ format: 'jwk' }), 'sha256'));
    expect(a.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.kid).not.toBe(b.kid);
  });
});
