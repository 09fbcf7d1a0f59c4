/**
 * `npm run bench`: the service against the machine's PostgreSQL (and Redis),
 * its ceilings measured in the same run, one table and bench/results/latest.json.
 * See bench/README.md.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config/index.js';
import { databaseCeiling, measureCeilingFor, startCeilingServer, type CeilingMeasurement, type CeilingName, type CeilingRig, type DatabaseCeiling } from './lib/ceilings.js';
import { cleanup, installSignalHandlers, onCleanup } from './lib/children.js';
import { runGrowth } from './lib/growth.js';
import { RESULTS_DIR } from './lib/paths.js';
import { createDatabase, dropDatabase, migrate, mintFamilies, postgresReachable, ADMIN_URL } from './lib/postgres.js';
import { BENCH_REDIS_URL, deleteServiceKeys, redisReachable } from './lib/redis.js';
import { fmt, formatMs, markdownTable, scenarioRows, table, type ScenarioOutcome } from './lib/report.js';
import { HTTP_SCENARIOS, memoryBreakdown, runHttpScenario, runOfflineVerification, type ScenarioContext } from './lib/scenarios.js';
import { MOBILE_CLIENT, mintDpopPool, seedAccounts } from './lib/seed.js';
import { SERVER_ENTRY, memoryOf, startService, type RunningService } from './lib/service.js';
import { parseArgs, serviceEnvironment, timingFor, type BenchArgs } from './lib/settings.js';
import { startOtlpReceiver } from '../test/support/otlp-receiver.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

export interface Environment {
  runId: string;
  databaseUrl: string;
  ceilingDatabaseUrl: string;
  redisUrl: string | undefined;
  serviceEnv: Record<string, string>;
  config: Config;
  logFile: string;
}

/** Preconditions, a fresh database per run (dropped at the end) with the real migrations, and the service's configuration. */
export async function prepare(args: BenchArgs): Promise<Environment> {
  if (!existsSync(SERVER_ENTRY)) throw new Error('dist/ is missing: `npm run bench` builds first (npm run build)');
  if (!(await postgresReachable())) throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (set BENCH_DATABASE_URL to another server's admin database)`);
  const redisUrl = (await redisReachable()) ? BENCH_REDIS_URL : undefined;
  const runId = `idsvc_bench_${Date.now()}_${process.pid}`;
  const names = [runId, `${runId}_ceiling`];
  for (const name of names) {
    onCleanup(() => dropDatabase(name));
    await createDatabase(name);
  }
  const [databaseUrl, ceilingDatabaseUrl] = names.map((name) => {
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }) as [string, string];
  await Promise.all([migrate(databaseUrl), migrate(ceilingDatabaseUrl)]);
  if (redisUrl) onCleanup(async () => void (await deleteServiceKeys(redisUrl)));
  const serviceEnv = serviceEnvironment(databaseUrl, redisUrl);
  if (args.tracing) {
    const sink = await startOtlpReceiver({ keep: false });
    onCleanup(() => sink.close());
    serviceEnv.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const logFile = path.join(os.tmpdir(), `${runId}.log`);
  log(`PostgreSQL ${ADMIN_URL.replace(/\/[^/]*$/, '')} (database ${runId}, dropped at the end); Redis ${redisUrl ?? 'not reachable: sessions in PostgreSQL'}`);
  if (args.tracing) log(`tracing on: spans exported to ${serviceEnv.OTEL_EXPORTER_OTLP_ENDPOINT} (an OTLP sink in this process)`);
  log(`service log: ${logFile}${args.profile ? '; CPU profiles: bench/results/profiles/' : ''}`);
  log(`service runtime (the Dockerfile's, unless overridden): MALLOC_ARENA_MAX=${serviceEnv.MALLOC_ARENA_MAX ?? '(glibc default)'} MALLOC_TOP_PAD_=${serviceEnv.MALLOC_TOP_PAD_ ?? '(glibc default)'} NODE_OPTIONS=${serviceEnv.NODE_OPTIONS ?? '(none)'}`);
  return { runId, databaseUrl, ceilingDatabaseUrl, redisUrl, serviceEnv, config: loadConfig(serviceEnv), logFile };
}

export function nodeArgs(args: BenchArgs): string[] {
  return args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS_DIR, 'profiles')}`] : [];
}

async function runBench(args: BenchArgs): Promise<number> {
  const timing = timingFor(args.smoke);
  const started = Date.now();
  log(`identity service bench (${args.smoke ? 'smoke' : 'full'}: ${timing.durationSec} s per scenario at ${timing.connections} connections, login at ${timing.loginConnections})`);
  const env = await prepare(args);
  const { config } = env;

  // The database ceiling comes first, as it sizes the refresh pool; every other ceiling is measured
  // right before the scenario it divides (see CeilingMeasurement).
  let rig: CeilingRig | undefined;
  if (args.ceilings) {
    log('\nceilings');
    const poolSize = config.database.kind === 'postgres' ? config.database.poolSize : 1;
    let database: DatabaseCeiling | undefined;
    if (args.only.size === 0 || args.only.has(3)) {
      log(`  database ceiling: the rotation statement through pg, pool ${poolSize}, ${timing.connections} callers`);
      database = await databaseCeiling(env.ceilingDatabaseUrl, poolSize, timing.connections, timing.durationSec, timing.warmupSec);
    }
    const server = await startCeilingServer();
    onCleanup(() => server.stop());
    rig = { server, ...(database ? { database } : {}), passwordHashing: config.passwordHashing, timing };
    log('  the others right before the scenario each divides');
  }
  const measurements: CeilingMeasurement[] = [];
  const measureCeiling = async (ceilings: CeilingRig, name: CeilingName, scenario: number): Promise<CeilingMeasurement> => {
    const measured = await measureCeilingFor(ceilings, name, scenario);
    measurements.push(measured);
    log(`    ${name} ceiling: ${fmt(measured.opsPerSec)} ops/s`);
    return measured;
  };

  log('\nstart-up');
  // The first start on a new database also creates the first signing key; the second is a plain restart.
  const first = await startService(env.serviceEnv, env.logFile);
  await first.stop();
  const service: RunningService = await startService(env.serviceEnv, env.logFile, nodeArgs(args));
  onCleanup(() => service.stop());
  log(`  ready after ${Math.round(first.readyMs)} ms (first start, creates the signing key), ${Math.round(service.readyMs)} ms (restart)`);
  const idle = await memoryBreakdown(service.url);
  if (idle) log(`  memory when ready: RSS ${idle.rssMb} MB = V8 heap ${idle.heapTotalMb} MB (used ${idle.heapUsedMb}) + external ${idle.externalMb} MB + the rest`);

  log('\nseeding');
  const db = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
  onCleanup(() => db.end());
  const seeded = await seedAccounts(service.url, db, config, timing.users);
  const perSecond = rig?.database?.opsPerSec ?? 4000;
  // The load's share, then a margin and the requests sent alone after it.
  const spare = 500 + timing.aloneRequests;
  const poolSize = Math.min(300_000, Math.ceil(perSecond * (timing.durationSec + timing.warmupSec) * 1.25) + spare);
  const mintStarted = Date.now();
  const refreshPool = await mintFamilies(db, {
    userIds: seeded.users.map((user) => user.id),
    count: poolSize,
    clientId: MOBILE_CLIENT,
    scope: 'openid offline_access',
    familyTtlSeconds: config.refresh.familyTtlSeconds,
  });
  // Scenario 10's own pool, bound to one DPoP key (a client's key signs every proof, whatever the request).
  const dpop = args.only.size === 0 || args.only.has(10) ? await mintDpopPool(db, seeded, poolSize, config.refresh.familyTtlSeconds) : undefined;
  // As pgbench does before a run: the fresh rows' hint bits and visibility map are set now, and autovacuum
  // does not wake up for them in the middle of a scenario.
  await db.query('VACUUM ANALYZE');
  log(`  ${seeded.users.length} users (first via ${seeded.userPath}), ${seeded.accessTokens.length} logins via ${seeded.tokenPath}, ${seeded.sessionCookies.length} browser sessions`);
  // Scenario 3 takes from the pool: the report gives what was minted.
  const minted = refreshPool.length;
  if (dpop) log(`  ${dpop.refreshPool.length.toLocaleString('en-US')} more bound to a DPoP key for scenario 10`);
  log(`  ${minted.toLocaleString('en-US')} refresh families pre-minted in ${((Date.now() - mintStarted) / 1000).toFixed(1)} s (database ceiling × duration × 1.25, and ${spare} more)`);

  // The issuer follows the port the service got; the discovery document says which.
  const { issuer } = (await (await fetch(`${service.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
  const seededMemory = await memoryBreakdown(service.url);
  if (seededMemory) log(`  memory after seeding: RSS ${seededMemory.rssMb} MB = V8 heap ${seededMemory.heapTotalMb} MB (used ${seededMemory.heapUsedMb}) + external ${seededMemory.externalMb} MB + the rest`);
  const context: ScenarioContext = {
    url: service.url,
    pid: service.pid,
    issuer,
    audience: config.accessToken.audience,
    timing,
    seeded,
    refreshPool,
    ...(dpop ? { dpop } : {}),
    log,
  };
  const outcomes: ScenarioOutcome[] = [];
  log('\nscenarios');
  for (const scenario of HTTP_SCENARIOS) {
    if (args.only.size > 0 && !args.only.has(scenario.id)) continue;
    log(`  ${scenario.id} ${scenario.name}`);
    const ceiling = rig && scenario.ceiling ? await measureCeiling(rig, scenario.ceiling, scenario.id) : undefined;
    const outcome = await runHttpScenario(scenario, context, ceiling?.opsPerSec);
    if (outcome.status !== 'ok') log(`    ${outcome.status}: ${outcome.reason}`);
    outcomes.push(outcome);
  }
  if (args.only.size === 0 || args.only.has(8)) {
    log('  8 offline verification');
    outcomes.push(await runOfflineVerification(context));
  }

  // The targets are set for 10 s at 50 connections; a one-second smoke run at 4 says nothing about them.
  if (args.smoke) for (const outcome of outcomes) outcome.targets = [];

  const memory = memoryOf(service.pid);
  const peakRssMb = memory?.hwmMb ?? Math.max(0, ...outcomes.map((o) => o.result?.peakRssMb ?? 0));
  await service.stop();
  const overall = args.smoke
    ? []
    : [
        { label: 'peak RSS <250 MB', met: peakRssMb < 250 },
        { label: 'ready <1 s (restart on PostgreSQL, migrations applied)', met: service.readyMs < 1000 },
      ];

  const rows = scenarioRows(outcomes);
  const ceilingRows =
    measurements.length > 0
      ? [
          ['ceiling', 'for', 'ops/s', 'p50 ms', 'p99 ms', 'CPU µs/op', 'how'],
          ...measurements.map((m) => [m.name, String(m.scenario), fmt(m.opsPerSec), formatMs(m.p50Ms), formatMs(m.p99Ms), fmt(m.cpuUsPerOp), m.how]),
        ]
      : undefined;

  log('');
  if (ceilingRows) log(`${table(ceilingRows)}\n`);
  log(table(rows));
  const offline = outcomes.find((o) => o.id === 8 && o.detail);
  if (offline?.detail) {
    log(`\noffline verification (${offline.detail.concurrency} in flight): remote JWKS ${fmt(offline.detail.remoteJwks ?? 0)}/s, local JWKS ${fmt(offline.detail.localJwks ?? 0)}/s, imported key ${fmt(offline.detail.importedKey ?? 0)}/s`);
  }
  log(`\nservice: ready ${Math.round(service.readyMs)} ms after start (first start ${Math.round(first.readyMs)} ms); peak RSS (VmHWM) ${peakRssMb.toFixed(0)} MB`);
  for (const target of overall) log(`  ${target.met ? 'ok' : 'MISSED'} ${target.label}`);
  if (args.smoke) log('  smoke run: checks that every scenario answers; the speed targets are judged in a full run only');

  const broken = outcomes.filter((o) => o.status === 'broken');
  const report = {
    mode: args.smoke ? 'smoke' : 'full',
    startedAt: new Date(started).toISOString(),
    elapsedSec: (Date.now() - started) / 1000,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    settings: timing,
    service: {
      redis: env.redisUrl !== undefined,
      logLevel: config.logLevel,
      databasePoolSize: config.database.kind === 'postgres' ? config.database.poolSize : undefined,
      passwordHashing: config.passwordHashing,
      memoryWhenReady: idle,
      memoryAfterSeeding: seededMemory,
      firstStartMs: first.readyMs,
      readyMs: service.readyMs,
      peakRssMb,
    },
    seeding: { userPath: seeded.userPath, tokenPath: seeded.tokenPath, refreshPool: minted, sessions: seeded.sessionCookies.length },
    ceilings: measurements,
    scenarios: outcomes,
    targets: [...outcomes.flatMap((o) => o.targets.map((t) => ({ scenario: o.id, ...t }))), ...overall.map((t) => ({ scenario: 'service', ...t }))],
    markdown: { ceilings: ceilingRows ? markdownTable(ceilingRows) : undefined, scenarios: markdownTable(rows) },
  };
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote bench/results/latest.json in ${Math.round((Date.now() - started) / 1000)} s`);
  if (broken.length > 0) {
    log(`\n${broken.length} scenario(s) broken: ${broken.map((o) => `${o.id} ${o.name}`).join(', ')}`);
    return 1;
  }
  return 0;
}

installSignalHandlers();
let code = 1;
try {
  const args = parseArgs(process.argv.slice(2));
  code = args.growth ? await runGrowth(args, { prepare, nodeArgs, log }) : await runBench(args);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
