/**
 * What the revocation feed (GET /oauth/revocations, docs/revocation.md) costs
 * at a given number of revocations inside the window: its size (the compact
 * JWS, and gzipped as a compressing proxy would send it), the time to build
 * and sign a new version (what the first request after a revocation pays;
 * later ones get the cached string), the time to serve the cached copy, one
 * replica's catch-up of that many entries into memory, and the in-memory
 * revocation check every bearer request and introspection makes. The real
 * RevocationState and RevocationFeed, fed by an in-memory store, so the
 * figures are the service's code without a database. `npm run bench:feed`
 * (-- --smoke: 100 k entries, one round).
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ManualClock } from '../src/domain/clock.js';
import type { RevocationEntry } from '../src/domain/revocations/revocation.js';
import { RevocationFeed } from '../src/domain/revocations/revocation-feed.js';
import { RevocationState } from '../src/domain/revocations/revocation-state.js';
import { memoryKeyRing } from '../test/support/memory-key-ring.js';
import { MemoryRevocationStore } from '../test/support/memory-revocation-store.js';
import { fmt, table } from './lib/report.js';

const smoke = process.argv.includes('--smoke');
const sizes = smoke ? [100_000] : [1_000, 10_000, 100_000];
const rounds = smoke ? 1 : 7;
const lookups = smoke ? 10_000 : 1_000_000;

// The defaults: 15 min access tokens plus 30 s of skew; a 5 min feed lifetime.
const WINDOW_SECONDS = 930;
const LIFETIME_SECONDS = 300;
const clock = new ManualClock(new Date());
const keys = memoryKeyRing();

/** `count` revocations spread over the window, one in ten of a whole subject (logout-all, password change, disable), the rest logins. */
function revocations(count: number): RevocationEntry[] {
  const now = Math.floor(clock.now().getTime() / 1000);
  return Array.from({ length: count }, (_, i) => ({ kind: i % 10 === 0 ? 'sub' : 'sid', id: randomUUID(), revokedAt: now - Math.floor((i / count) * (WINDOW_SECONDS - 1)) }));
}

/** One store holding the entries as one recorded version. */
function storeOf(entries: RevocationEntry[]): MemoryRevocationStore {
  const store = new MemoryRevocationStore();
  store.record(...entries);
  return store;
}

const ms = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

console.log(`revocation feed: median of ${rounds} round(s); window ${WINDOW_SECONDS} s, feed lifetime ${LIFETIME_SECONDS} s, ES256 (fast-jwt)`);
const rows = [['entries in window', 'feed bytes', 'gzip bytes', 'catch-up ms', 'build+sign ms', 'cached µs', 'isRevoked ns']];
for (const count of sizes) {
  const entries = revocations(count);
  const samples = { catchUp: [] as number[], build: [] as number[], cached: [] as number[] };
  let jwt = '';
  let state: RevocationState | undefined;
  const store = storeOf(entries);
  for (let round = 0; round < rounds; round++) {
    state = new RevocationState({ store, clock, windowSeconds: WINDOW_SECONDS });
    let started = process.hrtime.bigint();
    await state.catchUp();
    samples.catchUp.push(ms(started));
    // A feed of its own each round: nothing cached, as after a new revocation.
    const feed = new RevocationFeed(state, keys, clock, { issuer: 'http://feed.bench', lifetimeSeconds: LIFETIME_SECONDS });
    started = process.hrtime.bigint();
    jwt = (await feed.current()).jwt;
    samples.build.push(ms(started));
    started = process.hrtime.bigint();
    const repeats = 1000;
    for (let i = 0; i < repeats; i++) await feed.current();
    samples.cached.push((ms(started) * 1000) / repeats);
  }
  if (state?.size !== count) throw new Error(`the state holds ${state?.size} entries, expected ${count}`);
  // Hits and misses alternating: a revoked login, then an unknown one.
  const probes = [{ sub: randomUUID(), iat: 0, sid: entries[1]!.id }, { sub: randomUUID(), iat: 0, sid: randomUUID() }];
  let revoked = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) if (state.isRevoked(probes[i & 1]!)) revoked++;
  const lookupNs = (ms(started) * 1e6) / lookups;
  if (revoked !== lookups / 2) throw new Error('isRevoked answered wrongly');
  rows.push([fmt(count), fmt(jwt.length), fmt(gzipSync(jwt).length), fmt(median(samples.catchUp), 1), fmt(median(samples.build), 1), fmt(median(samples.cached), 2), fmt(lookupNs, 0)]);
}
console.log(table(rows));
