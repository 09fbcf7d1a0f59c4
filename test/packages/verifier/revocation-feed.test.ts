import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions } from '../../../packages/verifier/src/index.js';
import type { RevocationOptions } from '../../../packages/verifier/src/revocation-feed.js';
import { AUDIENCE, IssuerStub, stubKey } from '../../support/issuer-stub.js';
import { codeOf, eventually, sleep } from './support.js';

let stub: IssuerStub;
let v: Verifier;

beforeEach(async () => {
  stub = await IssuerStub.start();
});
afterEach(async () => {
  v?.close();
  await stub.close();
});

async function verifier(revocation: RevocationOptions = {}, options: Partial<VerifierOptions> = {}): Promise<Verifier> {
  v = await createVerifier({ issuer: stub.issuer, audience: AUDIENCE, revocation: { pollIntervalMs: 20, ...revocation }, ...options });
  return v;
}

const now = () => Math.floor(Date.now() / 1000);

describe('the revocation feed', () => {
  it('refuses a token of a revoked login, or of a subject revoked at or after its iat, within a poll interval', async () => {
    await verifier();
    const iat = now() - 10;
    const token = await stub.sign({ sid: 'login-a', sub: 'ada', iat });
    await expect(v.verify(token)).resolves.toBeDefined();
    const updated = new Promise((resolve) => v.once('revocations', () => resolve(undefined)));
    stub.revoke({ sid: 'login-a', at: iat });
    await updated;
    expect(await codeOf(v.verify(token))).toBe('token_revoked');
    // A revoked login mints no more tokens: one that claims to come later is refused too.
    expect(await codeOf(v.verify(await stub.sign({ sid: 'login-a', iat: iat + 60 })))).toBe('token_revoked');

    const other = await stub.sign({ sid: 'login-b', sub: 'bob', iat });
    stub.revoke({ sub: 'bob', at: iat + 5 });
    await eventually(() => v.status().revocation?.version === stub.version);
    expect(await codeOf(v.verify(other))).toBe('token_revoked');
    await expect(v.verify(await stub.sign({ sid: 'login-c', sub: 'bob', iat: iat + 6 }))).resolves.toBeDefined();
  });

  it('polls with If-None-Match: an unchanged feed is a 304', async () => {
    await verifier();
    await eventually(() => stub.fetches.feedNotModified >= 3);
    expect(stub.fetches.feed - stub.fetches.feedNotModified).toBe(1);
  });

  it('authenticates with client_secret_basic when given credentials', async () => {
    stub.feedCredentials = 'gateway:s3cret';
    await verifier({ clientId: 'gateway', clientSecret: 's3cret' });
    expect(stub.feedAuthorizations[0]).toBe(`Basic ${Buffer.from('gateway:s3cret').toString('base64')}`);
    expect(v.status().revocation).toMatchObject({ version: 1, stale: false, lastError: undefined });
  });

  it('keeps its last good copy when served a feed signed by another key, with another typ, or an older version', async () => {
    await verifier();
    const token = await stub.sign({ sid: 'login-a', iat: now() - 10 });
    stub.revoke({ sid: 'login-a' });
    await eventually(() => v.status().revocation?.version === 2);
    const errors: string[] = [];
    v.on('feed_error', (error) => errors.push(error.message));
    for (const forged of [
      await stub.feedJwt({ version: 3, sids: {} }, await stubKey(stub.signingKey.kid)),
      await stub.feedJwt({ version: 3, sids: {} }, stub.signingKey, 'at+jwt'),
      await stub.feedJwt({ version: 1, sids: {} }),
      await stub.feedJwt({ version: 3, sids: [] }),
    ]) {
      stub.feedOverride = forged;
      const seen = errors.length;
      await eventually(() => errors.length > seen);
    }
    expect(v.status().revocation?.version).toBe(2);
    expect(await codeOf(v.verify(token))).toBe('token_revoked');
  });

  it('fail-closed: past maxStalenessMs every token is refused, until the feed is back', async () => {
    await verifier({ failMode: 'closed', maxStalenessMs: 150 });
    const token = await stub.sign();
    stub.down.feed = true;
    const stale = new Promise((resolve) => v.once('stale', () => resolve(undefined)));
    await expect(v.verify(token)).resolves.toBeDefined();
    await stale;
    expect(v.status().revocation).toMatchObject({ stale: true, failMode: 'closed', lastError: { code: 'feed_stale' } });
    expect(await codeOf(v.verify(token))).toBe('feed_stale');
    const fresh = new Promise((resolve) => v.once('fresh', () => resolve(undefined)));
    stub.down.feed = false;
    await fresh;
    expect(v.status().revocation).toMatchObject({ stale: false, lastError: undefined });
    await expect(v.verify(token)).resolves.toBeDefined();
  });

  it('fail-open: past maxStalenessMs tokens still pass, and the last copy still revokes', async () => {
    await verifier({ failMode: 'open', maxStalenessMs: 100 });
    const revoked = await stub.sign({ sid: 'login-a', iat: now() - 10 });
    stub.revoke({ sid: 'login-a' });
    await eventually(() => v.status().revocation?.version === 2);
    stub.down.feed = true;
    await eventually(() => v.status().revocation?.stale === true);
    await expect(v.verify(await stub.sign({ sid: 'login-b' }))).resolves.toBeDefined();
    expect(await codeOf(v.verify(revoked))).toBe('token_revoked');
    // Revocations made during the outage arrive with the feed.
    const later = await stub.sign({ sid: 'login-c', iat: now() - 5 });
    stub.revoke({ sid: 'login-c' });
    await expect(v.verify(later)).resolves.toBeDefined();
    stub.down.feed = false;
    await eventually(() => v.status().revocation?.version === 3);
    expect(await codeOf(v.verify(later))).toBe('token_revoked');
  });

  it('fail-closed with an issuer whose feed was never reachable refuses tokens from the start', async () => {
    stub.down.feed = true;
    await verifier({ failMode: 'closed', maxStalenessMs: 0 });
    await sleep(5);
    expect(await codeOf(v.verify(await stub.sign()))).toBe('feed_stale');
  });

  it('stops polling on close()', async () => {
    await verifier();
    v.close();
    const count = stub.fetches.feed;
    await sleep(100);
    expect(stub.fetches.feed).toBe(count);
  });
});
