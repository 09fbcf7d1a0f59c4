import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { planRotation, rotationDue } from '../../../src/domain/keys/rotation.js';
import { DAY, keyRecord as key, keySettings as settings } from '../../support/signing-key-records.js';

const at = (clock: ManualClock, seconds: number) => new Date(clock.now().getTime() + seconds * 1000);

describe('rotationDue', () => {
  it('falls due prepublishSeconds before the active key has signed for rotationDays', () => {
    const clock = new ManualClock();
    const keys = [key('a', { activatesAt: clock.now() })];
    clock.advance(30 * DAY - 3600 - 1);
    expect(rotationDue(keys, clock.now(), settings)).toBe(false);
    clock.advance(1);
    expect(rotationDue(keys, clock.now(), settings)).toBe(true);
  });

  it('is not due while a successor is already published, nor when no key signs', () => {
    const clock = new ManualClock();
    const start = clock.now();
    clock.advance(40 * DAY);
    const keys = [key('a', { activatesAt: start, retiredAt: at(clock, 60) }), key('b', { activatesAt: at(clock, 60) })];
    expect(rotationDue(keys, clock.now(), settings)).toBe(false);
    expect(rotationDue([], clock.now(), settings)).toBe(false);
  });
});

describe('planRotation', () => {
  it('creates the first key active at once when none signs', () => {
    const clock = new ManualClock();
    expect(planRotation([], { kind: 'scheduled' }, clock.now(), settings)).toEqual({
      reason: 'bootstrap',
      retire: [],
      create: { activatesAt: clock.now() },
    });
  });

  it('does nothing on schedule before the rotation is due', () => {
    const clock = new ManualClock();
    const keys = [key('a', { activatesAt: clock.now() })];
    clock.advance(DAY);
    expect(planRotation(keys, { kind: 'scheduled' }, clock.now(), settings)).toEqual({ retire: [] });
  });

  it('publishes the successor before it signs and retires the current key at that very instant', () => {
    const clock = new ManualClock();
    const keys = [key('a', { activatesAt: clock.now() })];
    clock.advance(30 * DAY - 3600);
    const handover = at(clock, 3600);
    expect(planRotation(keys, { kind: 'scheduled' }, clock.now(), settings)).toEqual({
      reason: 'scheduled',
      retire: [{ kid: 'a', at: handover }],
      create: { activatesAt: handover },
    });
  });

  it('starts an on-demand rotation at any time, but not a second one while one is under way', () => {
    const clock = new ManualClock();
    const keys = [key('a', { activatesAt: clock.now() })];
    clock.advance(60);
    expect(planRotation(keys, { kind: 'on-demand' }, clock.now(), settings).create).toEqual({ activatesAt: at(clock, 3600) });
    const underWay = [key('a', { activatesAt: keys[0]!.activatesAt, retiredAt: at(clock, 3600) }), key('b', { activatesAt: at(clock, 3600) })];
    expect(planRotation(underWay, { kind: 'on-demand' }, clock.now(), settings)).toEqual({ retire: [] });
  });

  it('replaces a compromised signing key at once, and retires a successor that was waiting', () => {
    const clock = new ManualClock();
    const start = clock.now();
    clock.advance(DAY);
    const keys = [key('a', { activatesAt: start, retiredAt: at(clock, 3600) }), key('b', { activatesAt: at(clock, 3600) })];
    expect(planRotation(keys, { kind: 'compromised', kid: 'a' }, clock.now(), settings)).toEqual({
      reason: 'compromised',
      compromise: 'a',
      retire: [
        { kid: 'a', at: clock.now() },
        { kid: 'b', at: clock.now() },
      ],
      create: { activatesAt: clock.now() },
    });
  });

  it('makes a repeated compromise of the same kid a no-op', () => {
    const clock = new ManualClock();
    const keys = [key('a', { activatesAt: clock.now(), retiredAt: clock.now(), compromisedAt: clock.now() }), key('b', { activatesAt: clock.now() })];
    expect(planRotation(keys, { kind: 'compromised', kid: 'a' }, clock.now(), settings)).toEqual({ retire: [] });
  });

  it('unpublishes a compromised retired key without a new key, and refuses an unknown kid', () => {
    const clock = new ManualClock();
    const start = clock.now();
    clock.advance(60);
    const keys = [key('old', { activatesAt: start, retiredAt: clock.now() }), key('cur', { activatesAt: clock.now() })];
    expect(planRotation(keys, { kind: 'compromised', kid: 'old' }, clock.now(), settings)).toEqual({ reason: 'compromised', compromise: 'old', retire: [] });
    expect(() => planRotation(keys, { kind: 'compromised', kid: 'nope' }, clock.now(), settings)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('replaces a compromised successor that never signed with another, and keeps the current key signing until then', () => {
    const clock = new ManualClock();
    const start = clock.now();
    clock.advance(DAY);
    const handover = at(clock, 3600);
    const keys = [key('cur', { activatesAt: start, retiredAt: handover }), key('next', { activatesAt: handover })];
    clock.advance(1800);
    expect(planRotation(keys, { kind: 'compromised', kid: 'next' }, clock.now(), settings)).toEqual({
      reason: 'compromised',
      compromise: 'next',
      retire: [{ kid: 'cur', at: at(clock, 3600) }],
      create: { activatesAt: at(clock, 3600) },
    });
  });
});
