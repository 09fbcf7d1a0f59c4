import type { Redis } from 'ioredis';
import type { DpopReplayStore } from '../domain/tokens/dpop/dpop-replay-store.js';
import type { Clock } from '../domain/clock.js';

/**
 * One SET NX PX per proof: atomic, so of two replicas receiving the same
 * proof at once exactly one accepts it, and Redis forgets it when it can no
 * longer be presented anyway.
 */
export class RedisDpopReplayStore implements DpopReplayStore {
  constructor(private readonly redis: Redis) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(`idsvc:dpop:jti:${key}`, '1', 'PX', ttlSeconds * 1000, 'NX')) === 'OK';
  }
}

/**
 * A single replica's memory, bounded so a flood of proofs cannot exhaust it.
 * Every entry lives as long as the others, so insertion order is expiry
 * order: expired entries are swept from the front, and when the bound is
 * reached the oldest goes first (that proof has the least time left to be
 * replayed in).
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  readonly #expiries = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 100_000,
  ) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    for (const [seen, expiresAt] of this.#expiries) {
      if (expiresAt > now) break;
      this.#expiries.delete(seen);
    }
    // After the sweep every remembered key is live. Evict only to make room for a new one: evicting first would let a full store accept a replay of the oldest proof it holds.
    if (this.#expiries.has(key)) return false;
    if (this.#expiries.size >= this.maxEntries) this.#expiries.delete(this.#expiries.keys().next().value as string);
    this.#expiries.set(key, now + ttlSeconds * 1000);
    return true;
  }
}
