import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { AppError } from '../../../src/domain/errors.js';
import { DpopNonces } from '../../../src/domain/tokens/dpop/dpop-nonces.js';
import { DpopProofs } from '../../../src/domain/tokens/dpop/dpop-proofs.js';
import { MemoryDpopReplayStore } from '../../../src/store/dpop-replay-store.js';
import { dpopKey, type DpopKey } from '../../support/dpop.js';

const uri = 'https://id.example.com/oauth/token';
const start = new Date('2030-01-01T00:00:00Z');
const settings = { proofLifetimeSeconds: 60, clockSkewSeconds: 5, nonceRequired: false };

describe('DpopProofs', () => {
  let clock: ManualClock;
  let key: DpopKey;
  let nonces: DpopNonces;
  const verifier = (overrides: Partial<typeof settings> = {}) => new DpopProofs(new MemoryDpopReplayStore(clock), nonces, { ...settings, ...overrides }, clock);
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  };
  const refused = async (promise: Promise<unknown>, reason: string) => {
    const error = await rejection(promise);
    expect(error.code).toBe('invalid_dpop_proof');
    expect(error.status).toBe(400);
    expect(error.message).toContain(reason);
  };

  beforeEach(async () => {
    clock = new ManualClock(start);
    key = await dpopKey();
    nonces = new DpopNonces(Buffer.alloc(32, 7), 60, clock);
  });

  it('accepts a fresh ES256 proof of this request and answers the RFC 7638 thumbprint of its key', async () => {
    const proof = await key.proof({ htm: 'POST', htu: uri, iat: now() });
    expect(await verifier().verify(proof, { method: 'POST', uri })).toEqual({ jkt: key.jkt });
  });

  it.each(['EdDSA', 'RS256', 'PS256'])('accepts %s, as discovery advertises', async (alg) => {
    const other = await dpopKey(alg);
    const proof = await other.proof({ htm: 'POST', htu: uri, iat: now() });
    expect(await verifier().verify(proof, { method: 'POST', uri })).toEqual({ jkt: other.jkt });
  });

  it('compares htu without query and fragment (§4.3 item 9), after URI normalisation', async () => {
    const proof = await key.proof({ htm: 'POST', htu: 'https://ID.example.com:443/oauth/token?x=1#frag', iat: now() });
    expect(await verifier().verify(proof, { method: 'POST', uri })).toEqual({ jkt: key.jkt });
  });

  it('refuses another method, another URI or a missing htu', async () => {
    await refused(verifier().verify(await key.proof({ htm: 'GET', htu: uri, iat: now() }), { method: 'POST', uri }), 'htm');
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: 'https://id.example.com/oauth/userinfo', iat: now() }), { method: 'POST', uri }), 'htu');
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: 'http://id.example.com/oauth/token', iat: now() }), { method: 'POST', uri }), 'htu');
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: 'not a uri', iat: now() }), { method: 'POST', uri }), 'htu');
  });

  it('refuses a stale iat (older than lifetime + skew) and one from the future beyond the skew', async () => {
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: uri, iat: now() - 66 }), { method: 'POST', uri }), 'iat');
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: uri, iat: now() + 6 }), { method: 'POST', uri }), 'iat');
    expect(await verifier().verify(await key.proof({ htm: 'POST', htu: uri, iat: now() - 65 }), { method: 'POST', uri })).toEqual({ jkt: key.jkt });
  });

  it('refuses a replayed jti within the window, and scopes jtis by key', async () => {
    const proofs = verifier();
    const proof = await key.proof({ htm: 'POST', htu: uri, iat: now(), jti: 'one' });
    await proofs.verify(proof, { method: 'POST', uri });
    await refused(proofs.verify(proof, { method: 'POST', uri }), 'replayed');
    const other = await dpopKey();
    expect(await proofs.verify(await other.proof({ htm: 'POST', htu: uri, iat: now(), jti: 'one' }), { method: 'POST', uri })).toEqual({ jkt: other.jkt });
  });

  it('refuses a proof signed by another key than the one in its header', async () => {
    const thief = await dpopKey();
    const forged = await new SignJWT({ htm: 'POST', htu: uri, jti: 'x' })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
      .setIssuedAt(now())
      .sign(thief.privateKey);
    await refused(verifier().verify(forged, { method: 'POST', uri }), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses a header jwk that carries the private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const proof = await new SignJWT({ htm: 'POST', htu: uri, jti: 'x' }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk }).setIssuedAt(now()).sign(privateKey);
    await refused(verifier().verify(proof, { method: 'POST', uri }), 'private key material');
  });

  it('refuses alg none and HS256 (a symmetric "key" proves nothing)', async () => {
    const unsecured = new UnsecuredJWT({ htm: 'POST', htu: uri, jti: 'x', iat: now() }).encode();
    const withJwk = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${unsecured.split('.')[1]}.`;
    await refused(verifier().verify(withJwk, { method: 'POST', uri }), 'ERR_JOSE_ALG_NOT_ALLOWED');
    const secret = new Uint8Array(32).fill(1);
    const octJwk: JWK = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
    const hs = await new SignJWT({ htm: 'POST', htu: uri, jti: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: octJwk })
      .setIssuedAt(now())
      .sign(secret);
    await refused(verifier().verify(hs, { method: 'POST', uri }), 'private key material');
    const hsPublicLooking = await new SignJWT({ htm: 'POST', htu: uri, jti: 'y' }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk }).setIssuedAt(now()).sign(secret);
    await refused(verifier().verify(hsPublicLooking, { method: 'POST', uri }), 'ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('refuses a wrong typ, a missing jwk, a missing jti and what is not a JWS', async () => {
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: uri, iat: now() }, { typ: 'JWT' }), { method: 'POST', uri }), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    const noJwk = await new SignJWT({ htm: 'POST', htu: uri, jti: 'x' }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' }).setIssuedAt(now()).sign(key.privateKey);
    await refused(verifier().verify(noJwk, { method: 'POST', uri }), 'no jwk');
    await refused(verifier().verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), jti: '' }), { method: 'POST', uri }), 'jti');
    await refused(verifier().verify('garbage', { method: 'POST', uri }), 'not a JWS');
  });

  it('checks ath against the presented access token at resources', async () => {
    const context = { method: 'GET', uri: 'https://id.example.com/oauth/userinfo', accessToken: 'token-a' };
    await refused(verifier().verify(await key.proof({ htm: 'GET', htu: context.uri, iat: now(), accessToken: 'token-b' }), context), 'ath');
    await refused(verifier().verify(await key.proof({ htm: 'GET', htu: context.uri, iat: now() }), context), 'ath');
    expect(await verifier().verify(await key.proof({ htm: 'GET', htu: context.uri, iat: now(), accessToken: 'token-a' }), context)).toEqual({ jkt: key.jkt });
  });

  it('with nonces required: answers use_dpop_nonce with a DPoP-Nonce, accepts it and the previous window, refuses older ones', async () => {
    const proofs = verifier({ nonceRequired: true });
    const error = await rejection(proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now() }), { method: 'POST', uri }));
    expect(error.code).toBe('use_dpop_nonce');
    const nonce = error.headers?.['dpop-nonce'];
    expect(nonce).toBe(proofs.nonce());
    expect(await proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), nonce }), { method: 'POST', uri })).toEqual({ jkt: key.jkt });

    clock.advance(60);
    expect(await proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), nonce }), { method: 'POST', uri })).toEqual({ jkt: key.jkt });
    clock.advance(60);
    expect((await rejection(proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), nonce }), { method: 'POST', uri }))).code).toBe('use_dpop_nonce');
    expect((await rejection(proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), nonce: 'forged' }), { method: 'POST', uri }))).code).toBe('use_dpop_nonce');
  });

  it('accepts nonces another replica issued (same master key) and no nonce at all when they are not required', async () => {
    const elsewhere = new DpopNonces(Buffer.alloc(32, 7), 60, clock).current();
    const proofs = verifier({ nonceRequired: true });
    expect(await proofs.verify(await key.proof({ htm: 'POST', htu: uri, iat: now(), nonce: elsewhere }), { method: 'POST', uri })).toEqual({ jkt: key.jkt });
    expect(verifier().nonce()).toBeUndefined();
  });
});

describe('MemoryDpopReplayStore', () => {
  it('claims a key once until it expires, and stays within its bound', async () => {
    const clock = new ManualClock(start);
    const store = new MemoryDpopReplayStore(clock, 2);
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('a', 10)).toBe(false);
    clock.advance(11);
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('b', 10)).toBe(true);
    expect(await store.claim('c', 10)).toBe(true);
    // The bound evicted the oldest entry: 'b' and 'c' are still remembered.
    expect(await store.claim('c', 10)).toBe(false);
    expect(await store.claim('b', 10)).toBe(false);
  });
});
