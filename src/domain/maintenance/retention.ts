/**
 * Which stored rows are dead for good, as pure functions of the clock. Every
 * read path already refuses these rows; pruning only reclaims their space, so
 * a rule here may keep a row longer than needed but never delete a live one.
 */

/** The kinds of rows the pruning job deletes. */
export const PRUNE_TARGETS = ['browser_sessions', 'refresh_tokens', 'refresh_families', 'authorization_codes', 'authorization_requests', 'revocations', 'mfa_challenges'] as const;

export type PruneTarget = (typeof PRUNE_TARGETS)[number];

/**
 * The order of work. Targets grouped together take turns, a batch each: a
 * dead family's tokens go before the family, so no single delete cascades into
 * the thousands of tokens a long-lived family collects.
 */
export const PRUNE_STEPS: readonly (readonly PruneTarget[])[] = [
  ['browser_sessions'],
  ['refresh_tokens', 'refresh_families'],
  ['authorization_codes'],
  ['authorization_requests'],
  ['revocations'],
  ['mfa_challenges'],
];

export interface RetentionSettings {
  /**
   * How long a revoked or expired login family (and a used or expired
   * authorization code) is kept after it died: support can still see why a
   * login ended (`revoked_reason`). Nothing depends on it: a token of a
   * family that is gone is refused like one of a revoked family.
   */
  readonly retentionSeconds: number;
  /** Verifiers accept an access token up to this long past `exp`. */
  readonly clockSkewSeconds: number;
  /** A revocation matters this long (the longest access-token lifetime plus the skew): past it, every token it could affect has expired. */
  readonly revocationWindowSeconds: number;
}

/** Rows of a target whose deadline is at or before its cutoff are deleted. */
export type PruneCutoffs = Readonly<Record<PruneTarget, Date>>;

const before = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000);

export function pruneCutoffs(now: Date, settings: RetentionSettings): PruneCutoffs {
  const dead = before(now, settings.retentionSeconds);
  return {
    // A session is dead at its idle deadline (itself capped by the absolute one); the skew covers replicas whose clocks lag.
    browser_sessions: before(now, settings.clockSkewSeconds),
    // Spent tokens are what reuse detection compares against (RFC 9700 §4.14.2): they stay as long as their family.
    refresh_tokens: dead,
    // Expired or revoked before the cutoff. A family that only went idle goes at its absolute expiry.
    refresh_families: dead,
    authorization_codes: dead,
    // A parked authorization request is of no use past its deadline: nothing to investigate later.
    authorization_requests: now,
    // Out of the feed and of every replica's memory by then (revocation-state.ts): the row has nothing left to stop.
    revocations: before(now, settings.revocationWindowSeconds),
    // A login's second step (docs/mfa.md) is of no use past its deadline, spent or not.
    mfa_challenges: now,
  };
}
