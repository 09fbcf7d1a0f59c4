import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url, exportSPKI, importJWK, type CryptoKey } from 'jose';
import { createVerifier, VerifierError, type Verifier, type VerifierOptions } from '../../../packages/verifier/src/index.js';
import { AUDIENCE, IssuerStub, stubKey } from '../../support/issuer-stub.js';
import { codeOf, sleep } from './support.js';

let stub: IssuerStub;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  stub = await IssuerStub.start();
});
afterAll(() => stub.close());
afterEach(() => {
  for (const verifier of verifiers.splice(0)) verifier.close();
});

async function verifier(options: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const created = await createVerifier({ issuer: stub.issuer, audience: AUDIENCE, ...options });
  verifiers.push(created);
  return created;
}

describe('access tokens', () => {
  it('verifies a token of the issuer and answers its claims', async () => {
    const v = await verifier();
    const claims = await v.verify(await stub.sign({ sub: 'ada' }));
    expect(claims).toMatchObject({ sub: 'ada', client_id: 'mobile', iss: stub.issuer, aud: AUDIENCE, sid: 'login-1', roles: ['user'] });
  });

  it('refuses forged and foreign tokens', async () => {
    const v = await verifier();
    const claims = stub.accessClaims();
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const none = `${encode({ alg: 'none', typ: 'at+jwt', kid: stub.signingKey.kid })}.${encode(claims)}.`;
    // The classic confusion attack: HMAC keyed with the public key's own bytes.
    const publicPem = await exportSPKI((await importJWK(stub.signingKey.jwk, 'ES256', { extractable: true })) as CryptoKey);
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: stub.signingKey.kid }).sign(new TextEncoder().encode(publicPem));
    const foreign = await stub.sign({}, { key: await stubKey(), kid: stub.signingKey.kid });
    const valid = await stub.sign();
    const tampered = `${valid.split('.')[0]}.${encode({ ...claims, roles: ['admin'] })}.${valid.split('.')[2]}`;
    for (const token of [none, hs256, foreign, tampered, 'not-a-jwt', '']) {
      expect(await codeOf(v.verify(token))).toBe('invalid_token');
    }
  });

  it('refuses the wrong typ, issuer, audience, and a missing required claim', async () => {
    const v = await verifier();
    expect(await codeOf(v.verify(await stub.sign({}, { typ: 'JWT' })))).toBe('invalid_token');
    expect(await codeOf(v.verify(await stub.feedJwt()))).toBe('invalid_token');
    expect(await codeOf(v.verify(await stub.sign({ iss: 'http://elsewhere.example' })))).toBe('invalid_token');
    expect(await codeOf(v.verify(await stub.sign({ aud: 'other-api' })))).toBe('invalid_token');
    expect(await codeOf(v.verify(await stub.sign({ client_id: undefined })))).toBe('invalid_token');
    const strict = await verifier({ requiredClaims: ['tenant'] });
    expect(await codeOf(strict.verify(await stub.sign()))).toBe('invalid_token');
    await expect(strict.verify(await stub.sign({ tenant: 't1' }))).resolves.toMatchObject({ tenant: 't1' });
    // Whatever the list, the claims the checks rely on stay required.
    for (const claim of ['sub', 'iat', 'exp']) expect(await codeOf(strict.verify(await stub.sign({ tenant: 't1', [claim]: undefined })))).toBe('invalid_token');
  });

  it('refuses an expired token past the clock tolerance, and accepts one within it', async () => {
    const v = await verifier({ clockToleranceSeconds: 30 });
    const now = Math.floor(Date.now() / 1000);
    expect(await codeOf(v.verify(await stub.sign({ iat: now - 1000, exp: now - 31 })))).toBe('token_expired');
    await expect(v.verify(await stub.sign({ iat: now - 1000, exp: now - 20 }))).resolves.toBeDefined();
  });

  it('refuses to start when the discovery document names another issuer', async () => {
    stub.discoveryIssuer = 'http://attacker.example';
    try {
      expect(await codeOf(createVerifier({ issuer: stub.issuer, audience: AUDIENCE }))).toBe('discovery_failed');
    } finally {
      stub.discoveryIssuer = undefined;
    }
    expect(await codeOf(createVerifier({ issuer: 'http://127.0.0.1:1', audience: AUDIENCE }))).toBe('discovery_failed');
  });
});

describe('the JWKS cache', () => {
  it('fetches the JWKS once for many verifications while its max-age lasts, and again after', async () => {
    stub.jwksCacheControl = 'public, max-age=1';
    try {
      const v = await verifier({ jwksCooldownMs: 100 });
      const before = stub.fetches.jwks;
      const token = await stub.sign();
      for (let i = 0; i < 50; i++) await v.verify(token);
      expect(stub.fetches.jwks).toBe(before);
      await sleep(1100);
      await v.verify(token);
      expect(stub.fetches.jwks).toBe(before + 1);
    } finally {
      stub.jwksCacheControl = 'public, max-age=300';
    }
  });

  it('lets a flood of unknown kids cause one fetch per cooldown, not one each', async () => {
    const v = await verifier({ jwksCooldownMs: 1000 });
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => stub.sign({}, { kid: `random-${i}` })));
    await sleep(1010);
    const before = stub.fetches.jwks;
    // One after the other, so that sharing one fetch in flight is not what keeps the count down.
    for (const token of tokens) expect(await codeOf(v.verify(token))).toBe('invalid_token');
    expect(stub.fetches.jwks - before).toBe(1);
    await sleep(1010);
    expect(await codeOf(v.verify(tokens[0]!))).toBe('invalid_token');
    expect(stub.fetches.jwks - before).toBe(2);
  });

  it('picks up a rotated key without a restart, and drops a key the issuer withdrew', async () => {
    const v = await verifier({ jwksCooldownMs: 50 });
    const old = stub.signingKey;
    const oldToken = await stub.sign();
    await sleep(60);
    await stub.rotate();
    await expect(v.verify(await stub.sign())).resolves.toBeDefined();
    await expect(v.verify(oldToken)).resolves.toBeDefined();
    // A compromised key is removed: the next fetch (caused by any unknown kid) stops it verifying.
    stub.keys = stub.keys.filter((key) => key !== old);
    await sleep(60);
    await stub.rotate();
    await v.verify(await stub.sign());
    expect(await codeOf(v.verify(oldToken))).toBe('invalid_token');
    expect(v.status().jwks.kids).not.toContain(old.kid);
  });

  it('caches a max-age=0 JWKS for the cooldown, so it is not fetched per request', async () => {
    stub.jwksCacheControl = 'no-store';
    try {
      const v = await verifier({ jwksCooldownMs: 200 });
      const before = stub.fetches.jwks;
      const token = await stub.sign();
      for (let i = 0; i < 20; i++) await v.verify(token);
      expect(stub.fetches.jwks).toBe(before);
      await sleep(210);
      await v.verify(token);
      expect(stub.fetches.jwks).toBe(before + 1);
    } finally {
      stub.jwksCacheControl = 'public, max-age=300';
    }
  });

  it('keeps verifying with the keys it has while the JWKS is unreachable', async () => {
    stub.jwksCacheControl = 'max-age=0';
    const v = await verifier({ jwksCooldownMs: 50 });
    await sleep(60);
    const errors: VerifierError[] = [];
    v.on('jwks_error', (error) => errors.push(error));
    stub.down.jwks = true;
    try {
      const token = await stub.sign();
      await expect(v.verify(token)).resolves.toBeDefined();
      await expect(v.verify(token)).resolves.toBeDefined();
      expect(errors.map((error) => error.code)).toEqual(['jwks_unavailable']);
    } finally {
      stub.down.jwks = false;
      stub.jwksCacheControl = 'public, max-age=300';
    }
  });
});
