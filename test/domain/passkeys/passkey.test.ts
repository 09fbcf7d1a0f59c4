import { describe, expect, it } from 'vitest';
import { authenticationMethodOf, isCloneSuspected } from '../../../src/domain/passkeys/passkey.js';

describe('passkey rules', () => {
  it.each([
    [0, 0, false, 'an authenticator that never counts (synced passkeys)'],
    [0, 1, false, 'the first count'],
    [5, 6, false, 'a counter that grew'],
    [5, 40, false, 'a counter that jumped (uses elsewhere, e.g. another RP)'],
    [5, 5, true, 'the same counter again'],
    [5, 4, true, 'a counter that went back'],
    [5, 0, true, 'a counting authenticator that answers 0'],
  ])('stored %i, presented %i: clone suspected %s (%s)', (stored, presented, suspected) => {
    expect(isCloneSuspected(stored, presented)).toBe(suspected);
  });

  it('counts a backup-eligible (synced) passkey as a software key, a device-bound one as a hardware key (RFC 8176)', () => {
    expect(authenticationMethodOf({ backupEligible: true })).toBe('swk');
    expect(authenticationMethodOf({ backupEligible: false })).toBe('hwk');
  });
});
