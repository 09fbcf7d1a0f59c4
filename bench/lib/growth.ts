import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { revocationWindowSeconds } from '../../src/composition/revocations.js';
import { clientRegistry } from '../../src/domain/clients/client.js';
import { systemClock } from '../../src/domain/clock.js';
import { Pruner } from '../../src/domain/maintenance/pruner.js';
import { openPostgres } from '../../src/store/postgres.js';
import { PostgresPruneStore } from '../../src/store/pruning.js';
import type { Environment } from '../run.js';
import { onCleanup } from './children.js';
import { drive, sequentialLatency, type LoadRequest, type LoadResult } from './load.js';
import { RESULTS_DIR } from './paths.js';
import { mintFamilies, tableSizes } from './postgres.js';
import { formatMs, markdownTable, table } from './report.js';
import { basic, GATEWAY, MOBILE_CLIENT, seedAccounts } from './seed.js';
import { startService } from './service.js';
import type { BenchArgs } from './settings.js';

interface GrowthDeps {
  prepare(args: BenchArgs): Promise<Environment>;
  nodeArgs(args: BenchArgs): string[];
  log(line: string): void;
}

const TABLES = ['refresh_families', 'refresh_tokens', 'browser_sessions'] as const;
/** Three in ten filler rows are dead for longer than the retention (expired or revoked), as under steady churn. */
const DEAD_PER_TEN = 3;
const CHUNK = 100_000;

interface LevelResult {
  rows: number;
  sizes: Record<string, { rows: number; bytes: number }>;
  lookups: Record<string, { loaded: LoadResult; unloaded: { p50Ms: number; p99Ms: number; failures: number } }>;
}

/** Filler login families (two tokens each: one spent, one live) and browser sessions, in bulk with generate_series. */
async function fill(db: pg.Pool, userIds: string[], table: 'refresh_families' | 'browser_sessions', count: number): Promise<void> {
  for (let start = 0; start < count; start += CHUNK) {
    const size = Math.min(CHUNK, count - start);
    if (table === 'refresh_families') {
      await db.query(
        `WITH f AS (
           INSERT INTO refresh_families (id, user_id, client_id, scope, generation, user_agent, ip, created_at, last_used_at, expires_at, revoked_at, revoked_reason)
           SELECT gen_random_uuid(), ($1::uuid[])[1 + i % array_length($1::uuid[], 1)], 'mobile', 'openid offline_access', 1, 'filler', '127.0.0.1',
                  now() - interval '3 days', now() - interval '1 hour',
                  CASE WHEN i % 10 < 2 THEN now() - interval '2 days' ELSE now() + interval '20 days' END,
                  CASE WHEN i % 10 = 2 THEN now() - interval '2 days' END,
                  CASE WHEN i % 10 = 2 THEN 'logout' END
           FROM generate_series(1, $2::int) AS i
           RETURNING id
         )
         INSERT INTO refresh_tokens (token_hash, family_id, generation, spent_at, created_at)
         SELECT rtrim(translate(encode(sha256(convert_to(f.id::text || g::text, 'UTF8')), 'base64'), '+/', '-_'), '='), f.id, g,
                CASE WHEN g = 0 THEN now() - interval '1 hour' END, now() - interval '2 hours'
         FROM f CROSS JOIN generate_series(0, 1) AS g`,
        [userIds, size],
      );
    } else {
      await db.query(
        `INSERT INTO browser_sessions (id_hash, public_id, user_id, data, user_agent, ip, created_at, last_seen_at, idle_expires_at, expires_at)
         SELECT rtrim(translate(encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'base64'), '+/', '-_'), '='), gen_random_uuid(),
                ($1::uuid[])[1 + i % array_length($1::uuid[], 1)], '{"csrfToken":"filler"}', 'filler', '127.0.0.1',
                now() - interval '2 hours', now() - interval '5 minutes',
                CASE WHEN i % 10 < ${DEAD_PER_TEN} THEN now() - interval '1 hour' ELSE now() + interval '25 minutes' END,
                now() + interval '10 hours'
         FROM generate_series(1, $2::int) AS i`,
        [userIds, size],
      );
    }
  }
}

const count = async (db: pg.Pool, name: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]?.n ?? 0);

/**
 * `npm run bench -- --growth`: the same lookups at 10 thousand and at 1
 * million refresh families and browser sessions (filler seeded in bulk with
 * SQL, three in ten dead), then one pruning round under load, with the table
 * sizes before and after.
 */
export async function runGrowth(args: BenchArgs, deps: GrowthDeps): Promise<number> {
  const { log } = deps;
  const levels = args.smoke ? [1_000, 10_000] : [10_000, 1_000_000];
  const timing = { durationSec: args.smoke ? 1 : 5, warmupSec: args.smoke ? 0 : 1, connections: args.smoke ? 4 : 50 };
  const sequential = args.smoke ? 100 : 500;
  log(`growth: lookups at ${levels.map((n) => n.toLocaleString('en-US')).join(' and ')} families and sessions (${timing.durationSec} s at ${timing.connections} connections, and 3 × ${sequential} one at a time)`);
  const env = await deps.prepare(args);
  // Sessions in PostgreSQL (the table that grows), and no pruning by the service while the tables are measured.
  const { REDIS_URL: _redis, ...withoutRedis } = env.serviceEnv;
  const serviceEnv = { ...withoutRedis, PRUNE_INTERVAL_SECONDS: '0' };
  const service = await startService(serviceEnv, env.logFile, deps.nodeArgs(args));
  onCleanup(() => service.stop());
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
  onCleanup(() => db.end());

  const seeded = await seedAccounts(service.url, db, env.config, 16);
  if (seeded.sessionCookies.length === 0) throw new Error('POST /v1/session is not implemented: the growth mode needs browser sessions');
  const userIds = seeded.users.map((user) => user.id);
  // A small pool that refills itself: every answer carries the successor, itself fresh and never used.
  const pool = await mintFamilies(db, { userIds, count: 2000, clientId: MOBILE_CLIENT, scope: 'openid offline_access', familyTtlSeconds: env.config.refresh.familyTtlSeconds });
  const successor = /"refresh_token":"([A-Za-z0-9_-]{43})"/;
  let turn = 0;
  const next = <T>(values: readonly T[]) => values[turn++ % values.length] as T;
  const lookups: Record<string, LoadRequest> = {
    refresh: {
      method: 'POST',
      path: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setup: () => ({ body: `grant_type=refresh_token&client_id=${MOBILE_CLIENT}&refresh_token=${pool.shift() ?? 'exhausted'}` }),
      onResponse: (_status, body) => {
        const token = successor.exec(body)?.[1];
        if (token) pool.push(token);
      },
    },
    introspection: {
      method: 'POST',
      path: '/oauth/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(GATEWAY) },
      setup: () => ({ body: `token=${next(seeded.accessTokens)}` }),
    },
    session: { method: 'GET', path: '/v1/me', setup: () => ({ headers: { cookie: next(seeded.sessionCookies) } }) },
  };

  const results: LevelResult[] = [];
  for (const level of levels) {
    const started = Date.now();
    for (const name of ['refresh_families', 'browser_sessions'] as const) await fill(db, userIds, name, Math.max(0, level - (await count(db, name))));
    await db.query('VACUUM ANALYZE refresh_families, refresh_tokens, browser_sessions');
    log(`\n${level.toLocaleString('en-US')} families and sessions (seeded in ${Math.round((Date.now() - started) / 1000)} s)`);
    const result: LevelResult = { rows: level, sizes: await tableSizes(db, TABLES), lookups: {} };
    for (const [name, request] of Object.entries(lookups)) {
      const loaded = await drive(service.url, request, timing, service.pid);
      // The median of three rounds: one-at-a-time latency is the figure most exposed to a neighbour's noise.
      const rounds = [];
      for (let i = 0; i < 3; i += 1) rounds.push(await sequentialLatency(service.url, request, sequential));
      rounds.sort((x, y) => x.p50Ms - y.p50Ms);
      const unloaded = { ...(rounds[1] as (typeof rounds)[number]), failures: rounds.reduce((sum, r) => sum + r.failures, 0) };
      result.lookups[name] = { loaded, unloaded };
      log(`  ${name}: ${Math.round(loaded.reqPerSec)} req/s, p50 ${formatMs(loaded.p50Ms)} ms, p99 ${formatMs(loaded.p99Ms)} ms; one at a time p50 ${formatMs(unloaded.p50Ms)} ms`);
    }
    results.push(result);
  }

  const [small, large] = results as [LevelResult, LevelResult];
  const comparison = Object.keys(lookups).map((name) => {
    const a = small.lookups[name]!;
    const b = large.lookups[name]!;
    // autocannon's p50 has whole-millisecond resolution: a 1 ms step on a few ms is not growth.
    const loadedRatio = b.loaded.p50Ms / Math.max(1, a.loaded.p50Ms);
    const unloadedRatio = b.unloaded.p50Ms / a.unloaded.p50Ms;
    const failures = a.loaded.non2xx + b.loaded.non2xx + a.loaded.errors + b.loaded.errors + a.unloaded.failures + b.unloaded.failures;
    const loadedFlat = loadedRatio <= 1.25 || b.loaded.p50Ms - a.loaded.p50Ms <= 1;
    return { name, a, b, loadedRatio, unloadedRatio, failures, flat: loadedFlat && unloadedRatio <= 1.25 };
  });
  const rows = [
    ['lookup', ...levels.flatMap((n) => [`req/s @${short(n)}`, `p50 ms @${short(n)}`, `1-at-a-time p50 ms @${short(n)}`]), 'p50 ratio', 'within 25 %'],
    ...comparison.map((c) => [
      c.name,
      String(Math.round(c.a.loaded.reqPerSec)),
      formatMs(c.a.loaded.p50Ms),
      formatMs(c.a.unloaded.p50Ms),
      String(Math.round(c.b.loaded.reqPerSec)),
      formatMs(c.b.loaded.p50Ms),
      formatMs(c.b.unloaded.p50Ms),
      `${c.loadedRatio.toFixed(2)} / ${c.unloadedRatio.toFixed(2)}`,
      c.failures > 0 ? `BROKEN (${c.failures} failed)` : c.flat ? 'yes' : 'NO',
    ]),
  ];

  // One pruning round, as the service's job runs it, while the refresh load runs against the same tables.
  log('\npruning (batches of the configured size) while refresh load runs');
  const before = await tableSizes(db, TABLES);
  const { handle } = openPostgres({ url: env.databaseUrl, poolSize: 1, timeoutMs: 60_000 });
  const pruner = new Pruner({
    store: new PostgresPruneStore(handle),
    clock: systemClock,
    retention: {
      retentionSeconds: env.config.pruning.retentionSeconds,
      clockSkewSeconds: env.config.accessToken.clockSkewSeconds,
      // The bench revokes nothing: the default lifetime's window is as good as the clients'.
      revocationWindowSeconds: revocationWindowSeconds(env.config, clientRegistry([])),
    },
    batchSize: env.config.pruning.batchSize,
    intervalMs: 0,
    maxBatchesPerTarget: 100_000,
    log: { info() {}, warn() {} },
  });
  const pruneStarted = Date.now();
  const pruning = pruner.runOnce().then((report) => ({ report, seconds: (Date.now() - pruneStarted) / 1000 }));
  const duringPrune = await drive(service.url, lookups.refresh as LoadRequest, { ...timing, warmupSec: 0 }, service.pid);
  const pruned = await pruning;
  await handle.close();
  await db.query('VACUUM ANALYZE refresh_families, refresh_tokens, browser_sessions');
  const after = await tableSizes(db, TABLES);
  const baseline = large.lookups.refresh!.loaded;
  log(`  deleted ${JSON.stringify(pruned.report)} in ${pruned.seconds.toFixed(1)} s`);
  log(`  refresh during the prune: ${Math.round(duringPrune.reqPerSec)} req/s, p50 ${formatMs(duringPrune.p50Ms)} ms, p99 ${formatMs(duringPrune.p99Ms)} ms (without: ${Math.round(baseline.reqPerSec)} req/s, p99 ${formatMs(baseline.p99Ms)} ms)`);
  const sizeRows = [
    ['table', 'rows before', 'MB before', 'rows after', 'MB after'],
    ...TABLES.map((name) => [
      name,
      (before[name]?.rows ?? 0).toLocaleString('en-US'),
      ((before[name]?.bytes ?? 0) / 2 ** 20).toFixed(0),
      (after[name]?.rows ?? 0).toLocaleString('en-US'),
      ((after[name]?.bytes ?? 0) / 2 ** 20).toFixed(0),
    ]),
  ];
  await service.stop();

  log(`\n${table(rows)}\n\n${table(sizeRows)}`);
  log('(MB: table with its indexes; deleted space is reused by PostgreSQL, not returned to the file system, so files do not shrink)');
  const report = {
    mode: 'growth',
    levels,
    timing,
    results,
    comparison: comparison.map(({ name, loadedRatio, unloadedRatio, flat, failures }) => ({ name, loadedRatio, unloadedRatio, flat, failures })),
    prune: { deleted: pruned.report, seconds: pruned.seconds, refreshDuringPrune: duringPrune, before, after },
    markdown: { lookups: markdownTable(rows), sizes: markdownTable(sizeRows) },
  };
  writeFileSync(path.join(RESULTS_DIR, 'growth.json'), `${JSON.stringify(report, null, 2)}\n`);
  log('\nwrote bench/results/growth.json');
  return comparison.some((c) => c.failures > 0) || duringPrune.non2xx + duringPrune.errors > 0 ? 1 : 0;
}

const short = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
