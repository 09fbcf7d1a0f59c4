import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { DpopReplayStore } from '../../src/domain/tokens/dpop/dpop-replay-store.js';
import { MemoryDpopReplayStore, RedisDpopReplayStore } from '../../src/store/dpop-replay-store.js';

const REDIS_URL = process.env.REDIS_URL;
// Short enough for Redis' own expiry to be waited for in a test.
const TTL_SECONDS = 0.2;

interface StoreUnderTest {
  /** Two handles on the same replay memory, as two replicas see it. */
  readonly replicas: readonly [DpopReplayStore, DpopReplayStore];
  elapse(seconds: number): Promise<void>;
}

const clients: Redis[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
});

const implementations: { name: string; open(): StoreUnderTest }[] = [
  {
    name: 'MemoryDpopReplayStore',
    open() {
      const clock = new ManualClock();
      const store = new MemoryDpopReplayStore(clock);
      return { replicas: [store, store], elapse: async (seconds) => clock.advance(seconds) };
    },
  },
];
if (REDIS_URL) {
  implementations.push({
    name: 'RedisDpopReplayStore',
    open() {
      const [first, second] = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
      clients.push(first, second);
      return { replicas: [new RedisDpopReplayStore(first), new RedisDpopReplayStore(second)], elapse: (seconds) => sleep(seconds * 1000) };
    },
  });
} else {
  console.log('REDIS_URL is not set: the RedisDpopReplayStore contract suite is skipped');
}

describe.each(implementations)('DpopReplayStore contract: $name', (implementation) => {
  it('accepts a key once, then refuses it on every replica until it expires', async () => {
    const { replicas, elapse } = implementation.open();
    const key = randomUUID();
    expect(await replicas[0].claim(key, TTL_SECONDS)).toBe(true);
    expect(await replicas[0].claim(key, TTL_SECONDS)).toBe(false);
    expect(await replicas[1].claim(key, TTL_SECONDS)).toBe(false);
    expect(await replicas[1].claim(randomUUID(), TTL_SECONDS)).toBe(true);
    await elapse(TTL_SECONDS * 1.5);
    expect(await replicas[1].claim(key, TTL_SECONDS)).toBe(true);
  });

  it('of many simultaneous claims of one key, exactly one wins', async () => {
    const { replicas } = implementation.open();
    const key = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.claim(key, 60)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });
});

describe('MemoryDpopReplayStore bound', () => {
  it('forgets the oldest key when full, so a flood of proofs cannot exhaust memory', async () => {
    const clock = new ManualClock();
    const store = new MemoryDpopReplayStore(clock, 3);
    for (const key of ['a', 'b', 'c']) expect(await store.claim(key, 60)).toBe(true);
    expect(await store.claim('d', 60)).toBe(true);
    expect(await store.claim('a', 60)).toBe(true);
    expect(await store.claim('d', 60)).toBe(false);
  });

  it('sweeps expired keys first, keeping the live ones', async () => {
    const clock = new ManualClock();
    const store = new MemoryDpopReplayStore(clock, 3);
    await store.claim('old', 10);
    clock.advance(5);
    await store.claim('live-1', 10);
    await store.claim('live-2', 10);
    clock.advance(6);
    expect(await store.claim('new', 10)).toBe(true);
    expect(await store.claim('live-1', 10)).toBe(false);
    expect(await store.claim('live-2', 10)).toBe(false);
  });
});
