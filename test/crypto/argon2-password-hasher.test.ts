import argon2 from 'argon2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Argon2PasswordHasher } from '../../src/crypto/argon2-password-hasher.js';

// The smallest parameters argon2 accepts: this suite is about scheduling, not strength.
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('Argon2PasswordHasher', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hashes with argon2id and verifies only the right password', async () => {
    const hasher = new Argon2PasswordHasher(CHEAP, 2);
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(hash, 'wrong horse battery')).toBe(false);
    expect(await hasher.verify('not a hash', 'anything')).toBe(false);
  });

  it('runs at most maxConcurrent hashes at once and queues the rest, losing none', async () => {
    let running = 0;
    let peak = 0;
    const verify = argon2.verify.bind(argon2);
    vi.spyOn(argon2, 'verify').mockImplementation(async (...args: Parameters<typeof argon2.verify>) => {
      peak = Math.max(peak, ++running);
      try {
        return await verify(...args);
      } finally {
        running -= 1;
      }
    });
    const hasher = new Argon2PasswordHasher(CHEAP, 2);
    const hash = await hasher.hash('correct horse battery');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => hasher.verify(hash, i % 2 ? 'correct horse battery' : 'wrong')));
    expect(results.filter(Boolean)).toHaveLength(6);
    expect(peak).toBe(2);
  });
});
