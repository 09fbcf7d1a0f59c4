import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Argon2PasswordHasher } from '../../src/crypto/argon2-password-hasher.js';
import type { Argon2Parameters } from '../../src/domain/users/hash-parameters.js';
import { hashOpaqueToken, newOpaqueToken } from '../../src/domain/tokens/opaque-token.js';
import { openPostgres } from '../../src/store/postgres.js';
import { PostgresRefreshStore } from '../../src/store/refresh-store.js';
import { startBenchServer, stopChild } from './children.js';
import { drive, postgresCpu, postgresCpuSince, type LoadResult, type LoadSettings } from './load.js';
import { fmt } from './report.js';
import { insertUsers, mintFamilies } from './postgres.js';

export interface OpsResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  errors: number;
}

export type CeilingName = 'http' | 'signing' | 'verification' | 'argon2' | 'database';

export type Argon2Ceiling = OpsResult & { concurrency: number; parameters: Argon2Parameters };
export type DatabaseCeiling = OpsResult & { concurrency: number; poolSize: number; postgresCpuUsPerOp: number };

/**
 * One measurement of a ceiling, for the scenario it divides. Each is taken
 * right before its scenario: on a shared VM the machine's speed drifts over
 * minutes, and a ceiling measured at the start of the run divided figures
 * taken minutes later by a different machine.
 */
export interface CeilingMeasurement {
  name: CeilingName;
  scenario: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerOp: number | undefined;
  how: string;
}

/** What measuring a ceiling needs: the database ceiling is measured once, up front (when scenario 3 runs), as it sizes the refresh pool. */
export interface CeilingRig {
  server: CeilingServer;
  database?: DatabaseCeiling;
  passwordHashing: Argon2Parameters;
  timing: LoadSettings & { loginConnections: number };
}

/** The ceiling `name`, measured now for `scenario` (the database ceiling as measured up front). */
export async function measureCeilingFor(rig: CeilingRig, name: CeilingName, scenario: number): Promise<CeilingMeasurement> {
  const { timing } = rig;
  if (name === 'database') {
    if (!rig.database) throw new Error('the database ceiling is measured up front, before the scenario that needs it');
    const { opsPerSec, p50Ms, p99Ms, poolSize, concurrency, postgresCpuUsPerOp } = rig.database;
    const how = `rotation CTE via pg, pool ${poolSize}, ${concurrency} callers, each a fresh family; PostgreSQL CPU ${fmt(postgresCpuUsPerOp)} µs/op`;
    return { name, scenario, opsPerSec, p50Ms, p99Ms, cpuUsPerOp: undefined, how };
  }
  if (name === 'argon2') {
    const { memoryCost, timeCost, parallelism } = rig.passwordHashing;
    const hashes = await argon2Ceiling(rig.passwordHashing, timing.loginConnections, timing.durationSec, timing.warmupSec);
    const how = `argon2id verify, ${memoryCost} KiB t=${timeCost} p=${parallelism}, ${hashes.concurrency} at a time`;
    return { name, scenario, opsPerSec: hashes.opsPerSec, p50Ms: hashes.p50Ms, p99Ms: hashes.p99Ms, cpuUsPerOp: undefined, how };
  }
  const route = await httpCeiling(rig.server, name, timing);
  const how = { http: `bare Fastify, constant JSON, c=${timing.connections}`, signing: "same route + one access token signed by the service's AccessTokens", verification: "same route + one access token verified by the service's AccessTokens" }[name];
  return { name, scenario, opsPerSec: route.reqPerSec, p50Ms: route.p50Ms, p99Ms: route.p99Ms, cpuUsPerOp: route.cpuUsPerRequest, how };
}

/** Families minted for the database ceiling per second of its run (warm-up included). */
const CEILING_FAMILIES_PER_SECOND = 16_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Runs `concurrency` loops of `op` for a warm-up and then `seconds`; per-operation latency and throughput. */
export async function measureOps(
  op: (worker: number) => Promise<boolean>,
  concurrency: number,
  seconds: number,
  warmupSeconds: number,
  onMeasureStart?: () => void,
): Promise<OpsResult> {
  const loop = async (until: number, latencies?: number[]) => {
    let errors = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        while (performance.now() < until) {
          const started = performance.now();
          const ok = await op(worker).catch(() => false);
          latencies?.push(performance.now() - started);
          if (!ok) errors += 1;
        }
      }),
    );
    return errors;
  };
  if (warmupSeconds > 0) await loop(performance.now() + warmupSeconds * 1000);
  const latencies: number[] = [];
  onMeasureStart?.();
  const started = performance.now();
  const errors = await loop(started + seconds * 1000, latencies);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), total: latencies.length, errors };
}

export interface CeilingServer {
  url: string;
  token: string;
  pid: number;
  stop(): Promise<void>;
}

/** The ceilings server (bench/ceiling-server.ts) in a process of its own, like the service; it idles while the scenarios run. */
export async function startCeilingServer(): Promise<CeilingServer> {
  const { child, announced } = await startBenchServer<{ port: number; token: string }>('bench/ceiling-server.ts');
  return { url: `http://127.0.0.1:${announced.port}`, token: announced.token, pid: child.pid as number, stop: () => stopChild(child) };
}

/** The bare route (HTTP), the same route signing one ES256 JWT (signing) or verifying one (verification). */
export function httpCeiling(server: CeilingServer, name: 'http' | 'signing' | 'verification', settings: LoadSettings): Promise<LoadResult> {
  if (name === 'http') return drive(server.url, { method: 'GET', path: '/constant' }, settings, server.pid);
  if (name === 'signing') return drive(server.url, { method: 'GET', path: '/sign' }, settings, server.pid);
  return drive(server.url, { method: 'GET', path: '/verify', headers: { authorization: `Bearer ${server.token}` } }, settings, server.pid);
}

/** argon2id verifications through the service's own hasher (libuv threadpool, default size), `concurrency` at a time. */
export async function argon2Ceiling(parameters: Argon2Parameters, concurrency: number, seconds: number, warmupSeconds: number): Promise<Argon2Ceiling> {
  const hasher = new Argon2PasswordHasher(parameters);
  const password = 'correct horse battery staple 42';
  const hash = await hasher.hash(password);
  const result = await measureOps(() => hasher.verify(hash, password), concurrency, seconds, warmupSeconds);
  return { ...result, concurrency, parameters };
}

/**
 * The database ceiling: the refresh rotation itself (PostgresRefreshStore.rotate,
 * the one CTE statement) through the same pg pool code and pool size, on a
 * throwaway database with the real migrations, `concurrency` callers at a time
 * and no HTTP, JWT or Fastify around it. Like the scenario, every call spends
 * a fresh token of its own family from a large pre-minted pool: walking a few
 * hot chains instead would keep every row in a handful of cached pages, with
 * no full-page WAL images, and measure a rotation the service never serves
 * (112 against 144 µs of PostgreSQL CPU per rotation, measured on the same code).
 */
export async function databaseCeiling(url: string, poolSize: number, concurrency: number, seconds: number, warmupSeconds: number): Promise<DatabaseCeiling> {
  const seedPool = new pg.Pool({ connectionString: url, max: 2 });
  const users = await insertUsers(seedPool, 10, 'not-a-login-user', 'ceiling');
  // More than this machine rotates in the time: a call finding the pool empty counts as an error.
  const families = CEILING_FAMILIES_PER_SECOND * (seconds + warmupSeconds);
  const tokens = await mintFamilies(seedPool, { userIds: users.map((u) => u.id), count: families, clientId: 'mobile', scope: 'openid offline_access', familyTtlSeconds: 86400 });
  await seedPool.query('ANALYZE');
  await seedPool.end();

  const { handle } = openPostgres({ url, poolSize, timeoutMs: 5000 });
  const store = new PostgresRefreshStore(handle);
  let next = 0;
  try {
    let postgresBefore = new Map<number, number>();
    const result = await measureOps(
      async () => {
        const presented = tokens[next++];
        if (presented === undefined) return false;
        const now = new Date();
        const rotated = await store.rotate({
          tokenHash: hashOpaqueToken(presented),
          successorHash: hashOpaqueToken(newOpaqueToken()),
          clientId: 'mobile',
          now,
          idleCutoff: new Date(now.getTime() - 86_400_000),
          dpopJkt: null,
        });
        return rotated !== undefined;
      },
      concurrency,
      seconds,
      warmupSeconds,
      () => (postgresBefore = postgresCpu()),
    );
    const postgresCpuUsPerOp = (postgresCpuSince(postgresBefore) * 1e6) / Math.max(1, result.total);
    return { ...result, concurrency, poolSize, postgresCpuUsPerOp };
  } finally {
    await handle.close();
  }
}
