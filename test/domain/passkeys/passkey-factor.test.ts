import { describe, expect, it } from 'vitest';
import { secondFactors } from '../../../src/domain/mfa/second-factors.js';
import { passkeyFactorKind } from '../../../src/domain/passkeys/passkey-factor.js';
import type { PasskeyView } from '../../../src/domain/passkeys/passkey.js';

describe('passkeys as a kind of second factor', () => {
  const createdAt = new Date('2030-01-01T00:00:00.000Z');
  const held = new Map<string, PasskeyView[]>([['u1', [{ id: 'p1', name: 'Laptop', createdAt, lastUsedAt: null, synced: false, backedUp: false, transports: [], aaguid: '' }]]]);
  const passkeys = {
    list: async (userId: string) => held.get(userId) ?? [],
    removeAll: async (userId: string) => {
      const count = held.get(userId)?.length ?? 0;
      held.delete(userId);
      return count;
    },
  };

  it('lists a user\'s passkeys as factors that sign in, and a reset removes them', async () => {
    const factors = secondFactors([passkeyFactorKind(passkeys)]);
    expect(await factors.list('u1')).toEqual([{ kind: 'passkey', id: 'p1', createdAt }]);
    expect(await factors.isEnrolled('u1')).toBe(true);
    expect(await factors.isEnrolled('u2')).toBe(false);
    await factors.reset('u1');
    expect(await factors.list('u1')).toEqual([]);
    expect(await factors.isEnrolled('u1')).toBe(false);
  });
});
