import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import { deriveSubkey } from '../domain/secrets.js';
import { DpopNonces } from '../domain/tokens/dpop/dpop-nonces.js';
import { DpopProofs } from '../domain/tokens/dpop/dpop-proofs.js';
import { MemoryDpopReplayStore, RedisDpopReplayStore } from '../store/dpop-replay-store.js';

/**
 * DPoP proof verification: seen proofs in Redis when there is one, so a
 * proof accepted by one replica is refused by every other; nonces keyed by
 * the master key, which every replica shares.
 */
export function buildDpop({ config, clock, redis, masterKey }: { config: Config; clock: Clock; redis: Redis | undefined; masterKey: Buffer }): DpopProofs {
  const replay = redis ? new RedisDpopReplayStore(redis) : new MemoryDpopReplayStore(clock);
  const nonces = new DpopNonces(deriveSubkey(masterKey, 'dpop-nonce'), config.dpop.proofLifetimeSeconds, clock);
  return new DpopProofs(replay, nonces, { ...config.dpop, clockSkewSeconds: config.accessToken.clockSkewSeconds }, clock);
}
