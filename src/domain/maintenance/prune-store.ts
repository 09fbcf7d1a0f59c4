import type { PruneTarget } from './retention.js';

/** Deletes at most `limit` dead rows of `target` (deadline at or before `cutoff`); answers how many it deleted. */
export type PruneBatch = (target: PruneTarget, cutoff: Date, limit: number) => Promise<number>;

/** What the pruning job needs from storage. */
export interface PruneStore {
  /**
   * Runs `work` while holding the one pruning lock shared by every replica.
   * When another replica holds it, answers `{ ran: false }` at once: that
   * replica is already doing this round's work.
   */
  exclusive<T>(work: (batch: PruneBatch) => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
}
