import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../../../packages/verifier/src/index.js';
import { dpopKey, dpopProof, type DpopKey } from '../../support/dpop.js';
import { AUDIENCE, IssuerStub } from '../../support/issuer-stub.js';
import { codeOf } from './support.js';

let stub: IssuerStub;
let v: Verifier;
let key: DpopKey;
let token: string;
const URL = 'https://api.example/orders/42';

beforeAll(async () => {
  stub = await IssuerStub.start();
  v = await createVerifier({ issuer: stub.issuer, audience: AUDIENCE, dpopProofMaxAgeSeconds: 60, clockToleranceSeconds: 5 });
  key = await dpopKey();
  token = await stub.sign({ cnf: { jkt: key.jkt } });
});
afterAll(async () => {
  v.close();
  await stub.close();
});

const present = (proof: string | undefined, method = 'GET', url = URL) => v.verify(token, { scheme: 'DPoP', proof, method, url });

describe('DPoP-bound tokens (RFC 9449 §7)', () => {
  it('pass with a proof from the bound key for this method, URL and token; the query is not part of htu', async () => {
    await expect(present(await dpopProof(key, token, 'GET', URL))).resolves.toMatchObject({ cnf: { jkt: key.jkt } });
    await expect(present(await dpopProof(key, token, 'POST', URL), 'post', `${URL}?page=2#x`)).resolves.toBeDefined();
    await expect(v.verifyRequest({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, token, 'GET', URL), method: 'GET', url: URL })).resolves.toBeDefined();
  });

  it('are refused as Bearer, and an unbound token is refused with the DPoP scheme', async () => {
    const bearer = await v.verify(token).catch((error: unknown) => error);
    expect(bearer).toMatchObject({ code: 'invalid_token', dpop: true });
    expect(await codeOf(v.verifyRequest({ authorization: `Bearer ${token}`, dpop: undefined, method: 'GET', url: URL }))).toBe('invalid_token');
    const unbound = await stub.sign();
    expect(await codeOf(v.verify(unbound, { scheme: 'DPoP', proof: await dpopProof(key, unbound, 'GET', URL), method: 'GET', url: URL }))).toBe('invalid_token');
  });

  it('are refused without a proof, with two DPoP headers, or with a proof that does not match', async () => {
    expect(await codeOf(present(undefined))).toBe('invalid_dpop_proof');
    const proof = await dpopProof(key, token, 'GET', URL);
    expect(await codeOf(v.verifyRequest({ authorization: `DPoP ${token}`, dpop: [proof, proof], method: 'GET', url: URL }))).toBe('invalid_dpop_proof');
    const other = await dpopKey();
    const now = Math.floor(Date.now() / 1000);
    const mismatches = [
      await dpopProof(key, token, 'POST', URL),
      await dpopProof(key, token, 'GET', 'https://api.example/orders/43'),
      await dpopProof(key, token, 'GET', 'https://evil.example/orders/42'),
      await dpopProof(key, 'another-access-token', 'GET', URL),
      await dpopProof(other, token, 'GET', URL),
      await dpopProof(key, token, 'GET', URL, { iat: now - 120 }),
      await dpopProof(key, token, 'GET', URL, { iat: now + 60 }),
      await dpopProof(key, token, 'GET', URL, { jti: undefined }),
      await dpopProof(key, token, 'GET', URL, { ath: undefined }),
      // A header key that is not the signer's: the signature fails.
      await dpopProof(other, token, 'GET', URL, {}, key.jwk),
      await stub.sign(),
    ];
    for (const proof of mismatches) expect(await codeOf(present(proof))).toBe('invalid_dpop_proof');
  });

  it('refuses a proof presented twice (jti replay)', async () => {
    const proof = await dpopProof(key, token, 'GET', URL);
    await expect(present(proof)).resolves.toBeDefined();
    expect(await codeOf(present(proof))).toBe('invalid_dpop_proof');
  });
});
