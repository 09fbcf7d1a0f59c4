import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { RevocationFeed } from '../../../src/domain/revocations/revocation-feed.js';
import { RevocationState } from '../../../src/domain/revocations/revocation-state.js';
import { memoryKeyRing } from '../../support/memory-key-ring.js';
import { MemoryRevocationStore } from '../../support/memory-revocation-store.js';

/**
 * A feed over an in-memory store, timed by a monotonic clock the test owns:
 * each build appears to take `buildMs` (the clock moves by it while the feed
 * reads the window).
 */
function setup(buildMs: number) {
  const clock = new ManualClock();
  const store = new MemoryRevocationStore();
  const state = new RevocationState({ store, clock, windowSeconds: 930 });
  let ms = 0;
  const timedState = {
    get version() {
      return state.version;
    },
    window() {
      ms += buildMs;
      return state.window();
    },
  };
  const keys = memoryKeyRing();
  const feed = new RevocationFeed(timedState, keys, clock, { issuer: 'http://feed.test', lifetimeSeconds: 300, monotonicMs: () => ms });
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const revoke = async (sid: string) => {
    store.record({ kind: 'sid', id: sid, revokedAt: now() });
    await state.catchUp();
  };
  return { clock, feed, keys, revoke, wait: (delta: number) => (ms += delta) };
}

describe('RevocationFeed', () => {
  it('signs once per version: the same string until something is revoked', async () => {
    const { feed, keys, revoke } = setup(1);
    const first = await feed.current();
    expect(decodeProtectedHeader(first.jwt)).toEqual({ alg: 'ES256', typ: 'revocation-feed+jwt', kid: keys.kid });
    expect((await feed.current()).jwt).toBe(first.jwt);
    await revoke('login-1');
    const second = await feed.current();
    expect(second.version).toBe(first.version + 1);
    expect(decodeJwt(second.jwt).sids).toEqual({ 'login-1': expect.any(Number) });
  });

  it('re-signs the same version once half its lifetime has passed, so no verifier gets a copy close to exp', async () => {
    const { clock, feed } = setup(1);
    const first = await feed.current();
    clock.advance(149);
    expect((await feed.current()).jwt).toBe(first.jwt);
    clock.advance(1);
    const renewed = await feed.current();
    expect(renewed.version).toBe(first.version);
    expect(decodeJwt(renewed.jwt).iat).toBe(decodeJwt(first.jwt).iat! + 150);
  });

  it('after a slow build, holds a newer version back for ten times that build, then publishes it', async () => {
    const { feed, revoke, wait } = setup(100);
    await revoke('login-1');
    const slow = await feed.current();
    await revoke('login-2');
    wait(999);
    expect(await feed.current()).toBe(slow);
    wait(1);
    const next = await feed.current();
    expect(next.version).toBe(slow.version + 1);
    expect(Object.keys(decodeJwt(next.jwt).sids as object).sort()).toEqual(['login-1', 'login-2']);
  });

  it('never holds a version back after a cheap build', async () => {
    const { feed, revoke } = setup(49);
    await feed.current();
    await revoke('login-1');
    expect(decodeJwt((await feed.current()).jwt).sids).toHaveProperty('login-1');
  });
});
