import { randomBytes } from 'node:crypto';
import { imageRuntimeEnv } from './image-env.js';

export interface BenchArgs {
  smoke: boolean;
  growth: boolean;
  /** Scenario ids to run (all when empty). */
  only: Set<number>;
  ceilings: boolean;
  /** Start the service with --cpu-prof; profiles land in bench/results/profiles/. */
  profile: boolean;
  /** Trace the service (OTEL_EXPORTER_OTLP_ENDPOINT) into an OTLP sink in the bench process, to see what tracing costs. */
  tracing: boolean;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { smoke: false, growth: false, only: new Set(), ceilings: true, profile: false, tracing: false };
  for (const arg of argv) {
    if (arg === '--smoke') args.smoke = true;
    else if (arg === '--growth') args.growth = true;
    else if (arg === '--no-ceilings') args.ceilings = false;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--tracing') args.tracing = true;
    else if (arg.startsWith('--only=')) for (const id of arg.slice(7).split(',')) args.only.add(Number(id));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'npm run bench -- [--smoke] [--growth] [--only=1,3] [--no-ceilings] [--profile] [--tracing]\n' +
          '  --smoke        each scenario ~1 s at few connections (CI); fails only on errors, never on speed\n' +
          '  --growth       seeds 10 thousand, then 1 million families and sessions; compares p50s; prunes\n' +
          '  --only=ids     run only these scenarios (1-8)\n' +
          '  --no-ceilings  skip the ceilings (ratios are then not printed)\n' +
          '  --profile      start the service with --cpu-prof (bench/results/profiles/)\n' +
          '  --tracing      trace every request into an OTLP/HTTP sink in the bench process (spans dropped there)\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  return args;
}

export interface Timing {
  durationSec: number;
  warmupSec: number;
  connections: number;
  loginConnections: number;
  /** Seconds per offline-verification variant. */
  offlineSec: number;
  users: number;
  /** Requests sent one after another after each scenario's load (logins: `aloneLogins`), for the latency of a request alone. */
  aloneRequests: number;
  aloneLogins: number;
}

export const timingFor = (smoke: boolean): Timing =>
  smoke
    ? { durationSec: 1, warmupSec: 0, connections: 4, loginConnections: 2, offlineSec: 0.5, users: 4, aloneRequests: 5, aloneLogins: 2 }
    : { durationSec: 10, warmupSec: 2, connections: 50, loginConnections: 8, offlineSec: 3, users: 16, aloneRequests: 400, aloneLogins: 40 };

/** Service variables the bench passes through from its own environment (to measure another setting). */
const PASSTHROUGH = [
  'LOG_LEVEL',
  'LOG_REQUESTS',
  'DATABASE_POOL_SIZE',
  'ARGON2_MEMORY_KIB',
  'ARGON2_TIME_COST',
  'ARGON2_PARALLELISM',
  'ACCESS_TOKEN_TTL_SECONDS',
  'UV_THREADPOOL_SIZE',
  'PRUNE_INTERVAL_SECONDS',
  'PRUNE_BATCH_SIZE',
  // glibc's allocator knobs (see bench/README.md's performance report on memory).
  'MALLOC_ARENA_MAX',
  'MALLOC_TOP_PAD_',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
];

export function serviceEnvironment(databaseUrl: string, redisUrl: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    // The image's memory settings (MALLOC_ARENA_MAX, MALLOC_TOP_PAD_, NODE_OPTIONS); the variables below may override them.
    ...imageRuntimeEnv(),
    DATABASE_URL: databaseUrl,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The scenarios log in thousands of times a second from one address: the brute-force limits would (rightly) stop that.
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '100000000',
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  for (const name of PASSTHROUGH) {
    const value = process.env[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  // The service's NODE_OPTIONS (V8 heap flags, say), kept apart from the bench's own.
  if (process.env.BENCH_SERVICE_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_SERVICE_NODE_OPTIONS;
  return env;
}
