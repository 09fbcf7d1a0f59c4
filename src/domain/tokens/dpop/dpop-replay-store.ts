/**
 * Remembers the proofs already seen (RFC 9449 §11.1): a proof is accepted
 * once within its lifetime, so one captured on the wire or from a log cannot
 * be presented again. Shared between replicas when it lives in Redis.
 */
export interface DpopReplayStore {
  /** True the first time `key` is claimed within `ttlSeconds`; false for a replay. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}
