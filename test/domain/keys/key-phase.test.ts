import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { activeKey, signingKeyPhase, signingKeyStatus } from '../../../src/domain/keys/key-phase.js';
import { DAY, keyRecord as key, keySettings as settings } from '../../support/signing-key-records.js';


describe('signingKeyPhase', () => {
  it('walks a rotation: published → active → retired → removed, one signer at every instant', () => {
    const clock = new ManualClock();
    const start = clock.now();
    const handover = new Date(start.getTime() + (30 * DAY) * 1000);
    // The rotation ran prepublishSeconds before the handover: the old key retires exactly when the new one activates.
    const old = key('old', { activatesAt: start, retiredAt: handover });
    const next = key('next', { createdAt: new Date(handover.getTime() - 3600_000), activatesAt: handover });
    const phases = () => [signingKeyPhase(old, clock.now(), settings), signingKeyPhase(next, clock.now(), settings)];

    expect(phases()).toEqual(['active', 'published']);
    clock.advance(30 * DAY - 1);
    expect(phases()).toEqual(['active', 'published']);
    expect(activeKey([old, next], clock.now(), settings)?.kid).toBe('old');
    clock.advance(1);
    expect(phases()).toEqual(['retired', 'active']);
    expect(activeKey([old, next], clock.now(), settings)?.kid).toBe('next');
    // Still published while a token signed just before the handover can be valid: ttl 900 s + skew 30 s.
    clock.advance(929);
    expect(phases()).toEqual(['retired', 'active']);
    clock.advance(1);
    expect(phases()).toEqual(['removed', 'active']);
    expect(signingKeyStatus(old, clock.now(), settings).removedAt).toEqual(clock.now());
  });

  it('puts compromise above every other date', () => {
    const clock = new ManualClock();
    const now = clock.now();
    expect(signingKeyPhase(key('k', { activatesAt: now, compromisedAt: now }), now, settings)).toBe('compromised');
    clock.advance(365 * DAY);
    expect(signingKeyPhase(key('k', { activatesAt: now, retiredAt: now, compromisedAt: now }), clock.now(), settings)).toBe('compromised');
  });

  it('treats a key retired before it ever activated as retired, not as waiting to sign', () => {
    const now = new ManualClock().now();
    const later = new Date(now.getTime() + 3600_000);
    expect(signingKeyPhase(key('k', { activatesAt: later, retiredAt: now }), now, settings)).toBe('retired');
    expect(activeKey([key('k', { activatesAt: later, retiredAt: now })], later, settings)).toBeUndefined();
  });

  it('picks the latest activation when several keys could sign', () => {
    const now = new ManualClock().now();
    const earlier = new Date(now.getTime() - 1000);
    const keys = [key('a', { activatesAt: earlier }), key('b', { activatesAt: now }), key('c', { activatesAt: new Date(now.getTime() + 1) })];
    expect(activeKey(keys, now, settings)?.kid).toBe('b');
    expect(activeKey([], now, settings)).toBeUndefined();
  });
});
