import { describe, expect, it } from 'vitest';
import { PRUNE_STEPS, PRUNE_TARGETS, pruneCutoffs } from '../../../src/domain/maintenance/retention.js';

describe('retention rules', () => {
  const now = new Date('2030-01-02T00:00:00.000Z');
  const cutoffs = pruneCutoffs(now, { retentionSeconds: 86_400, clockSkewSeconds: 30, revocationWindowSeconds: 930 });

  it('prunes sessions once past their deadline by the clock skew', () => {
    expect(cutoffs.browser_sessions.toISOString()).toBe('2030-01-01T23:59:30.000Z');
  });

  it('prunes revocations once every access token they could affect has expired (the revocation window)', () => {
    expect(cutoffs.revocations.toISOString()).toBe('2030-01-01T23:44:30.000Z');
  });

  it('keeps dead login families, their tokens and codes for the retention period', () => {
    for (const target of ['refresh_families', 'refresh_tokens', 'authorization_codes'] as const) {
      expect(cutoffs[target].toISOString()).toBe('2030-01-01T00:00:00.000Z');
    }
  });

  it('prunes parked authorization requests at their deadline', () => {
    expect(cutoffs.authorization_requests).toEqual(now);
  });

  it('never prunes ahead of the clock', () => {
    const immediate = pruneCutoffs(now, { retentionSeconds: 0, clockSkewSeconds: 0, revocationWindowSeconds: 0 });
    for (const target of PRUNE_TARGETS) expect(immediate[target].getTime()).toBeLessThanOrEqual(now.getTime());
  });

  it("takes a family's tokens before the family, in turns, and covers every target once", () => {
    expect(PRUNE_STEPS).toContainEqual(['refresh_tokens', 'refresh_families']);
    expect(PRUNE_STEPS.flat().sort()).toEqual([...PRUNE_TARGETS].sort());
  });
});
