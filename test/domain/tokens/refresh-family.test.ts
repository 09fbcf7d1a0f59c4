import { describe, expect, it } from 'vitest';
import { isFamilyLive, judgeSpentPresentation } from '../../../src/domain/tokens/refresh-family.js';

const now = new Date('2030-01-01T12:00:00Z');
const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000);

describe('judgeSpentPresentation', () => {
  const grace = { graceSeconds: 10 };

  it('treats the immediate parent within the grace window as a replay', () => {
    expect(judgeSpentPresentation({ generation: 4, familyGeneration: 5, spentAt: secondsAgo(0) }, now, grace)).toBe('replay');
    expect(judgeSpentPresentation({ generation: 4, familyGeneration: 5, spentAt: secondsAgo(10) }, now, grace)).toBe('replay');
  });

  it('treats the immediate parent after the window as reuse', () => {
    expect(judgeSpentPresentation({ generation: 4, familyGeneration: 5, spentAt: secondsAgo(10.001) }, now, grace)).toBe('reuse');
  });

  it('treats an older generation as reuse even within the window', () => {
    expect(judgeSpentPresentation({ generation: 3, familyGeneration: 5, spentAt: secondsAgo(1) }, now, grace)).toBe('reuse');
  });

  it('allows no replay at all with a zero window', () => {
    expect(judgeSpentPresentation({ generation: 4, familyGeneration: 5, spentAt: secondsAgo(0.001) }, now, { graceSeconds: 0 })).toBe('reuse');
  });
});

describe('isFamilyLive', () => {
  const lifetimes = { idleTtlSeconds: 3600 };
  const family = { revokedAt: null, expiresAt: new Date(now.getTime() + 1000), lastUsedAt: secondsAgo(60) };

  it('is live when unrevoked, unexpired and recently used', () => {
    expect(isFamilyLive(family, now, lifetimes)).toBe(true);
  });
  it('dies when revoked', () => {
    expect(isFamilyLive({ ...family, revokedAt: secondsAgo(1) }, now, lifetimes)).toBe(false);
  });
  it('dies at its absolute expiry', () => {
    expect(isFamilyLive({ ...family, expiresAt: now }, now, lifetimes)).toBe(false);
  });
  it('dies when idle longer than the idle lifetime', () => {
    expect(isFamilyLive({ ...family, lastUsedAt: secondsAgo(3600) }, now, lifetimes)).toBe(false);
  });
});
