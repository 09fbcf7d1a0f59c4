import { randomBytes } from 'node:crypto';
import { base64url, exportJWK, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/domain/clock.js';
import { DpopNonces } from '../../../../src/domain/tokens/dpop/dpop-nonces.js';
import { DpopProofs, type DpopSettings } from '../../../../src/domain/tokens/dpop/dpop-proofs.js';
import { MemoryDpopReplayStore } from '../../../../src/store/dpop-replay-store.js';
import { dpopKey, dpopProof, type DpopKey } from '../../../support/dpop.js';

const TOKEN_URI = 'https://id.example.com/oauth/token';
const USERINFO_URI = 'https://id.example.com/oauth/userinfo';
const settings: DpopSettings = { proofLifetimeSeconds: 60, clockSkewSeconds: 5, nonceRequired: false };

describe('DpopProofs (RFC 9449 §4.3)', () => {
  let clock: ManualClock;
  let key: DpopKey;
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const proofs = (overrides: Partial<DpopSettings> = {}) =>
    new DpopProofs(new MemoryDpopReplayStore(clock), new DpopNonces(randomBytes(32), settings.proofLifetimeSeconds, clock), { ...settings, ...overrides }, clock);
  const proofFor = (claims: Partial<Parameters<typeof dpopProof>[1]> = {}, signer = key) =>
    dpopProof(signer, { htm: 'POST', htu: TOKEN_URI, iat: now(), ...claims });
  const refused = (promise: Promise<unknown>, internal: RegExp) =>
    expect(promise).rejects.toMatchObject({ code: 'invalid_dpop_proof', message: expect.stringMatching(internal) });

  beforeEach(async () => {
    clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    key = await dpopKey();
  });

  it('accepts a fresh ES256 proof of this request and answers the RFC 7638 thumbprint of its key', async () => {
    await expect(proofs().verify(await proofFor(), { method: 'POST', uri: TOKEN_URI })).resolves.toEqual({ jkt: key.jkt });
  });

  it.each(['EdDSA', 'RS256', 'PS256'])('accepts the other advertised algorithm %s', async (alg) => {
    const other = await dpopKey(alg);
    await expect(proofs().verify(await proofFor({}, other), { method: 'POST', uri: TOKEN_URI })).resolves.toEqual({ jkt: other.jkt });
  });

  it('compares htu without query and fragment (§4.3 item 9)', async () => {
    const proof = await proofFor({ htu: `${TOKEN_URI}?x=1#frag` });
    await expect(proofs().verify(proof, { method: 'POST', uri: `${TOKEN_URI}?other=2` })).resolves.toEqual({ jkt: key.jkt });
  });

  it('refuses a proof made for another method', async () => {
    await refused(proofs().verify(await proofFor({ htm: 'GET' }), { method: 'POST', uri: TOKEN_URI }), /htm/);
  });

  it('refuses a proof made for another URI, origin or path', async () => {
    const verifier = proofs();
    await refused(verifier.verify(await proofFor({ htu: USERINFO_URI }), { method: 'POST', uri: TOKEN_URI }), /htu/);
    await refused(verifier.verify(await proofFor({ htu: 'https://evil.example/oauth/token' }), { method: 'POST', uri: TOKEN_URI }), /htu/);
    await refused(verifier.verify(await proofFor({ htu: 'not a uri' }), { method: 'POST', uri: TOKEN_URI }), /htu/);
  });

  it('refuses a stale iat beyond lifetime and skew, and one from the future beyond skew', async () => {
    const verifier = proofs();
    await expect(verifier.verify(await proofFor({ iat: now() - 64 }), { method: 'POST', uri: TOKEN_URI })).resolves.toBeDefined();
    await refused(verifier.verify(await proofFor({ iat: now() - 66 }), { method: 'POST', uri: TOKEN_URI }), /iat/);
    await refused(verifier.verify(await proofFor({ iat: now() + 6 }), { method: 'POST', uri: TOKEN_URI }), /iat/);
  });

  it('accepts a jti once within the window, and another key may use the same jti', async () => {
    const verifier = proofs();
    const proof = await proofFor({ jti: 'same' });
    await verifier.verify(proof, { method: 'POST', uri: TOKEN_URI });
    await refused(verifier.verify(proof, { method: 'POST', uri: TOKEN_URI }), /replayed/);
    await refused(verifier.verify(await proofFor({ jti: 'same' }), { method: 'POST', uri: TOKEN_URI }), /replayed/);
    const other = await dpopKey();
    await expect(verifier.verify(await proofFor({ jti: 'same' }, other), { method: 'POST', uri: TOKEN_URI })).resolves.toEqual({ jkt: other.jkt });
  });

  it('refuses a proof whose header key did not sign it', async () => {
    const other = await dpopKey();
    const proof = await dpopProof(other, { htm: 'POST', htu: TOKEN_URI, iat: now() }, { jwk: key.publicJwk });
    await refused(proofs().verify(proof, { method: 'POST', uri: TOKEN_URI }), /SIGNATURE/);
  });

  it('refuses a jwk header holding the private key (§4.3 item 7)', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    const proof = await dpopProof(key, { htm: 'POST', htu: TOKEN_URI, iat: now() }, { jwk: privateJwk });
    await refused(proofs().verify(proof, { method: 'POST', uri: TOKEN_URI }), /private/);
  });

  it('refuses a proof without a jwk header', async () => {
    const proof = await new SignJWT({ htm: 'POST', htu: TOKEN_URI, iat: now(), jti: 'x' }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' }).sign(key.privateKey);
    await refused(proofs().verify(proof, { method: 'POST', uri: TOKEN_URI }), /jwk/);
  });

  it('refuses alg none and HS256, which prove nothing about a private key', async () => {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const claims = { htm: 'POST', htu: TOKEN_URI, iat: now(), jti: 'n' };
    const unsigned = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${encode(claims)}.`;
    await refused(proofs().verify(unsigned, { method: 'POST', uri: TOKEN_URI }), /DPoP proof rejected/);
    const mac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk }).sign(randomBytes(32));
    await refused(proofs().verify(mac, { method: 'POST', uri: TOKEN_URI }), /ALG_NOT_ALLOWED|unverifiable/);
  });

  it('refuses another typ, and garbage, as invalid_dpop_proof (never another error)', async () => {
    await refused(proofs().verify(await dpopProof(key, { htm: 'POST', htu: TOKEN_URI, iat: now() }, { typ: 'JWT' }), { method: 'POST', uri: TOKEN_URI }), /CLAIM_VALIDATION|typ/);
    await refused(proofs().verify('not.a.jwt', { method: 'POST', uri: TOKEN_URI }), /DPoP proof rejected/);
    await refused(proofs().verify('', { method: 'POST', uri: TOKEN_URI }), /DPoP proof rejected/);
  });

  it('at a resource, requires ath to be the SHA-256 of the presented access token (§4.3 item 12)', async () => {
    const verifier = proofs();
    const context = { method: 'GET', uri: USERINFO_URI, accessToken: 'the-access-token' };
    await expect(verifier.verify(await proofFor({ htm: 'GET', htu: USERINFO_URI, accessToken: 'the-access-token' }), context)).resolves.toEqual({ jkt: key.jkt });
    await refused(verifier.verify(await proofFor({ htm: 'GET', htu: USERINFO_URI, accessToken: 'another-token' }), context), /ath/);
    await refused(verifier.verify(await proofFor({ htm: 'GET', htu: USERINFO_URI }), context), /ath/);
  });

  describe('server nonces (§8)', () => {
    it('hands out no nonce while they are not required', () => {
      expect(proofs().nonce()).toBeUndefined();
    });

    it('answers use_dpop_nonce with a DPoP-Nonce header for a proof without one, and accepts the proof that carries it', async () => {
      const verifier = proofs({ nonceRequired: true });
      const error = await verifier.verify(await proofFor(), { method: 'POST', uri: TOKEN_URI }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'use_dpop_nonce', headers: { 'dpop-nonce': expect.any(String) } });
      const nonce = (error as { headers: Record<string, string> }).headers['dpop-nonce']!;
      expect(nonce).toBe(verifier.nonce());
      await expect(verifier.verify(await proofFor({ nonce }), { method: 'POST', uri: TOKEN_URI })).resolves.toEqual({ jkt: key.jkt });
    });

    it('refuses a forged nonce and one two windows old, but accepts the previous window', async () => {
      const verifier = proofs({ nonceRequired: true });
      const nonce = verifier.nonce()!;
      await expect(verifier.verify(await proofFor({ nonce: 'forged' }), { method: 'POST', uri: TOKEN_URI })).rejects.toMatchObject({ code: 'use_dpop_nonce' });
      clock.advance(60);
      await expect(verifier.verify(await proofFor({ nonce }), { method: 'POST', uri: TOKEN_URI })).resolves.toBeDefined();
      clock.advance(60);
      await expect(verifier.verify(await proofFor({ nonce }), { method: 'POST', uri: TOKEN_URI })).rejects.toMatchObject({ code: 'use_dpop_nonce' });
    });
  });
});
