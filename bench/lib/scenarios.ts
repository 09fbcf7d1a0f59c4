import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { SignJWT, type CryptoKey, type JWK } from 'jose';
import type { CeilingName } from './ceilings.js';
import { spawnTracked } from './children.js';
import { drive, preflight, sequentialLatency, type LoadRequest, type LoadResult } from './load.js';
import { PROJECT_ROOT } from './paths.js';
import { fmt, type ScenarioOutcome, type TargetCheck } from './report.js';
import { basic, BENCH_PASSWORD, GATEWAY, MOBILE_CLIENT, MOBILE_REDIRECT, ORDERS, routeExists, type Seeded } from './seed.js';
import type { Timing } from './settings.js';

export interface ScenarioContext {
  url: string;
  pid: number;
  issuer: string;
  audience: string;
  timing: Timing;
  seeded: Seeded;
  /** Fresh, never-used refresh tokens; each request of scenario 3 takes one. */
  refreshPool: string[];
  /** Fresh refresh tokens of families bound to `key` (scenario 10); undefined when that scenario is not selected. */
  dpop?: { key: { privateKey: CryptoKey; publicJwk: JWK }; refreshPool: string[] };
  log(line: string): void;
}

/**
 * One DPoP proof (RFC 9449 §4.2) per token of the pool, signed before the
 * load so that the load generator spends no CPU on ES256 while it measures;
 * made right before the scenario, they are well within the service's
 * accepted proof age when sent.
 */
async function tokenEndpointProofs(context: ScenarioContext, key: { privateKey: CryptoKey; publicJwk: JWK }, count: number): Promise<string[]> {
  const htu = `${context.issuer}/oauth/token`;
  const iat = Math.floor(Date.now() / 1000);
  const proofs: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, count - start) }, () =>
      new SignJWT({ htm: 'POST', htu, jti: randomBytes(16).toString('base64url'), iat }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk }).sign(key.privateKey),
    );
    proofs.push(...(await Promise.all(chunk)));
  }
  return proofs;
}

export interface HttpScenario {
  id: number;
  name: string;
  route: string;
  ceiling?: CeilingName;
  connections?: number;
  /** Undefined: skipped, with this reason. */
  request(context: ScenarioContext): Promise<LoadRequest | string>;
  /** The answer of a working request (beyond its 2xx status). */
  accepts?: (body: string) => boolean;
  targets(result: LoadResult, ratio: number | undefined): TargetCheck[];
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** Takes the next value in turn: spreads requests over every seeded user. */
const roundRobin = <T>(values: readonly T[]) => {
  let next = 0;
  return () => values[next++ % values.length] as T;
};

const ratioTarget = (label: string, minimum: number, ratio: number | undefined): TargetCheck => ({
  label: `≥${minimum} of ${label} ceiling`,
  met: ratio !== undefined && ratio >= minimum,
});
/**
 * An absolute rate; when missed, the label says how busy the service was and
 * what CPU per request the target would take. One Node.js thread runs every
 * request's JavaScript, so a service using about one core is bound by its own
 * work per request, not by waiting on the database.
 */
const rateTarget = (minimum: number, result: LoadResult): TargetCheck => {
  const met = result.reqPerSec >= minimum;
  const { cpuUsPerRequest: cpu, cpuCores: cores } = result;
  const why = met || !cpu || !cores ? '' : ` (service busy ${fmt(cores, 2)} cores at ${fmt(cpu)} CPU µs/req; the target needs ≤${fmt((cores * 1e6) / minimum)})`;
  return { label: `≥${minimum.toLocaleString('en-US')} req/s${why}`, met };
};

const notImplemented = async (context: ScenarioContext, method: string, path: string) =>
  (await routeExists(context.url, method, path)) ? undefined : `${method} ${path} not implemented`;

export const HTTP_SCENARIOS: HttpScenario[] = [
  {
    id: 1,
    name: 'JWKS',
    route: 'GET /.well-known/jwks.json',
    ceiling: 'http',
    request: async () => ({ method: 'GET', path: '/.well-known/jwks.json' }),
    targets: (_result, ratio) => [ratioTarget('HTTP', 0.8, ratio)],
  },
  {
    id: 2,
    name: 'client_credentials',
    route: 'POST /oauth/token (client_secret_basic)',
    ceiling: 'signing',
    request: async () => ({
      method: 'POST',
      path: '/oauth/token',
      headers: { ...FORM, authorization: basic(ORDERS) },
      body: 'grant_type=client_credentials&scope=orders%3Aread',
    }),
    targets: (_result, ratio) => [ratioTarget('signing', 0.6, ratio)],
  },
  {
    id: 3,
    name: 'refresh_token rotation',
    route: 'POST /oauth/token (refresh_token)',
    ceiling: 'database',
    request: async (context) => {
      const pool = context.refreshPool;
      let exhausted = false;
      const body = () => {
        const token = pool.pop();
        if (token === undefined && !exhausted) {
          exhausted = true;
          context.log('    the pre-minted refresh-token pool ran out: later requests reuse a spent token and fail');
        }
        return `grant_type=refresh_token&client_id=${MOBILE_CLIENT}&refresh_token=${token ?? 'exhausted-pool-0000000000000000000000000000'}`;
      };
      return { method: 'POST', path: '/oauth/token', headers: FORM, setup: () => ({ body: body() }) };
    },
    accepts: (body) => body.includes('"refresh_token"'),
    targets: (result, ratio) => [rateTarget(2000, result), { label: 'p99 <100 ms', met: result.p99Ms < 100 }, ratioTarget('database', 0.5, ratio)],
  },
  {
    id: 10,
    name: 'DPoP refresh_token rotation',
    route: 'POST /oauth/token (refresh_token, DPoP proof)',
    request: async (context) => {
      if (!context.dpop) return 'no DPoP-bound refresh families were minted';
      const { key, refreshPool: pool } = context.dpop;
      const started = Date.now();
      const proofs = await tokenEndpointProofs(context, key, pool.length);
      context.log(`    ${proofs.length.toLocaleString('en-US')} proofs signed in ${((Date.now() - started) / 1000).toFixed(1)} s before the load`);
      return {
        method: 'POST',
        path: '/oauth/token',
        headers: FORM,
        setup: () => ({
          headers: { ...FORM, dpop: proofs.pop() ?? 'exhausted' },
          body: `grant_type=refresh_token&client_id=${MOBILE_CLIENT}&refresh_token=${pool.pop() ?? 'exhausted-pool-0000000000000000000000000000'}`,
        }),
      };
    },
    accepts: (body) => body.includes('"token_type":"DPoP"'),
    // Compared with scenario 3 in the report: the difference is the proof's verification and its jti claim.
    targets: (result) => [{ label: 'p99 <100 ms', met: result.p99Ms < 100 }],
  },
  {
    id: 4,
    name: 'introspection',
    route: 'POST /oauth/introspect (access token)',
    ceiling: 'verification',
    request: async (context) => {
      const next = roundRobin(context.seeded.accessTokens);
      return {
        method: 'POST',
        path: '/oauth/introspect',
        headers: { ...FORM, authorization: basic(GATEWAY) },
        setup: () => ({ body: `token=${next()}&token_type_hint=access_token` }),
      };
    },
    accepts: (body) => body.includes('"active":true'),
    targets: (result) => [rateTarget(5000, result)],
  },
  {
    id: 5,
    name: '/v1/me Bearer',
    route: 'GET /v1/me (Authorization: Bearer)',
    ceiling: 'verification',
    request: async (context) => {
      const missing = await notImplemented(context, 'GET', '/v1/me');
      if (missing) return missing;
      const next = roundRobin(context.seeded.accessTokens);
      return { method: 'GET', path: '/v1/me', setup: () => ({ headers: { authorization: `Bearer ${next()}` } }) };
    },
    accepts: (body) => body.includes('"email"'),
    targets: (_result, ratio) => [ratioTarget('verification', 0.8, ratio)],
  },
  {
    id: 6,
    name: '/v1/me session cookie',
    route: 'GET /v1/me (Cookie)',
    ceiling: 'http',
    request: async (context) => {
      const missing = (await notImplemented(context, 'GET', '/v1/me')) ?? (context.seeded.sessionCookies.length === 0 ? 'POST /v1/session not implemented' : undefined);
      if (missing) return missing;
      const next = roundRobin(context.seeded.sessionCookies);
      return { method: 'GET', path: '/v1/me', setup: () => ({ headers: { cookie: next() } }) };
    },
    accepts: (body) => body.includes('"email"'),
    targets: (result) => [rateTarget(5000, result)],
  },
  {
    id: 7,
    name: 'password login',
    route: 'POST /v1/auth/login',
    ceiling: 'argon2',
    connections: -1,
    request: async (context) => {
      const missing = await notImplemented(context, 'POST', '/v1/auth/login');
      if (missing) return missing;
      const bodies = context.seeded.users.map((user) => JSON.stringify({ email: user.email, password: BENCH_PASSWORD, client_id: MOBILE_CLIENT }));
      const next = roundRobin(bodies);
      return { method: 'POST', path: '/v1/auth/login', headers: JSON_TYPE, setup: () => ({ body: next() }) };
    },
    accepts: (body) => body.includes('"refresh_token"'),
    targets: (_result, ratio) => [ratioTarget('argon2', 0.8, ratio)],
  },
  {
    id: 9,
    name: 'authorization code sign-in',
    route: 'GET /oauth/authorize (session) + POST /oauth/token (authorization_code)',
    ceiling: 'signing',
    request: async (context) => {
      const missing = (await notImplemented(context, 'GET', '/oauth/authorize')) ?? (context.seeded.sessionCookies.length === 0 ? 'POST /v1/session not implemented' : undefined);
      if (missing) return missing;
      // One PKCE pair for the run: each code is new, and the verifier's work is the same whatever its value.
      const verifier = randomBytes(32).toString('base64url');
      const authorize = `/oauth/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: MOBILE_CLIENT,
        redirect_uri: MOBILE_REDIRECT,
        scope: 'openid offline_access',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })}`;
      const nextCookie = roundRobin(context.seeded.sessionCookies);
      const token = new URLSearchParams({ grant_type: 'authorization_code', client_id: MOBILE_CLIENT, redirect_uri: MOBILE_REDIRECT, code_verifier: verifier });
      return {
        method: 'GET',
        path: authorize,
        flow: [
          {
            method: 'GET',
            path: authorize,
            expects: 303,
            setup: () => ({ headers: { cookie: nextCookie() } }),
            onResponse: (_status, headers, flow) => {
              const location = headers.location;
              // Anywhere but the client (the login page, when a session has gone): no code, and the token step fails.
              flow.code = (typeof location === 'string' && new URL(location, context.url).searchParams.get('code')) || 'no-code';
            },
          },
          { method: 'POST', path: '/oauth/token', headers: FORM, setup: (flow) => ({ body: `${token}&code=${flow.code}` }) },
        ],
      };
    },
    // No target of its own: the figure is the sign-ins per second one vCPU of the service completes.
    targets: () => [],
  },
];

/** Runs one scenario; `ceiling` is its ceiling's ops/s, measured right before (undefined with --no-ceilings). */
export async function runHttpScenario(scenario: HttpScenario, context: ScenarioContext, ceiling: number | undefined): Promise<ScenarioOutcome> {
  // -1: the login scenario, CPU-bound by design, with fewer connections and fewer requests sent alone.
  const login = scenario.connections === -1;
  const connections = login ? context.timing.loginConnections : context.timing.connections;
  const base = { id: scenario.id, name: scenario.name, route: scenario.route, connections, targets: [] as TargetCheck[] };
  const request = await scenario.request(context);
  if (typeof request === 'string') return { ...base, status: 'skipped', reason: request };
  const check = await preflight(context.url, request, scenario.accepts);
  if (!check.ok) return { ...base, status: 'broken', reason: `preflight answered ${check.status}: ${check.body}` };
  const result = await drive(context.url, request, { ...context.timing, connections }, context.pid);
  // At 50 connections the latencies are mostly queueing; a caller below capacity sees this.
  const alone = await sequentialLatency(context.url, request, login ? context.timing.aloneLogins : context.timing.aloneRequests);
  const memory = await memoryBreakdown(context.url);
  if (memory) context.log(`    memory after: RSS ${memory.rssMb} MB = V8 heap ${memory.heapTotalMb} MB (used ${memory.heapUsedMb}) + external ${memory.externalMb} MB + the rest (code, native allocations, wasm)`);
  const ratio = ceiling ? result.reqPerSec / ceiling : undefined;
  const failures = result.non2xx + result.errors + result.timeouts + alone.failures;
  return {
    ...base,
    status: failures > 0 ? 'broken' : 'ok',
    ...(failures > 0 ? { reason: `${failures} failed requests (status codes ${JSON.stringify(result.statusCodes)}, errors ${result.errors}, timeouts ${result.timeouts}, alone ${alone.failures})` } : {}),
    result,
    alone: { p50Ms: alone.p50Ms, p99Ms: alone.p99Ms },
    ...(memory ? { memory } : {}),
    ...(ceiling !== undefined && scenario.ceiling ? { ceiling: { name: scenario.ceiling, value: ceiling } } : {}),
    ...(ratio === undefined ? {} : { ratio }),
    targets: scenario.targets(result, ratio),
  };
}

/** Scenario 8: offline verification in a downstream process (bench/downstream-verify.ts). */
export async function runOfflineVerification(context: ScenarioContext): Promise<ScenarioOutcome> {
  const base = { id: 8, name: 'offline verification (jose)', route: 'downstream jwtVerify + remote JWKS', targets: [] as TargetCheck[] };
  const token = context.seeded.accessTokens[0];
  if (!token) return { ...base, status: 'skipped', reason: 'no access token' };
  const child = spawnTracked(
    process.execPath,
    ['--import', 'tsx', 'bench/downstream-verify.ts', `${context.url}/.well-known/jwks.json`, context.issuer, context.audience, String(context.timing.offlineSec), '16'],
    { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin?.end(token);
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string | undefined>((resolve) => {
    lines.once('line', resolve);
    child.once('exit', () => resolve(undefined));
  });
  lines.close();
  if (!line) return { ...base, status: 'broken', reason: 'the downstream process failed' };
  const measured = JSON.parse(line) as { remoteJwks: number; localJwks: number; importedKey: number; concurrency: number };
  return {
    ...base,
    status: 'ok',
    opsPerSec: measured.remoteJwks,
    detail: measured,
    ceiling: { name: 'raw key', value: measured.importedKey },
    ratio: measured.remoteJwks / measured.importedKey,
  };
}

/** The service's own memory figures from /metrics (prom-client's default metrics), in MB. */
export async function memoryBreakdown(url: string): Promise<{ rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number } | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const read = (name: string) => Math.round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20);
    return {
      rssMb: read('process_resident_memory_bytes'),
      heapTotalMb: read('nodejs_heap_size_total_bytes'),
      heapUsedMb: read('nodejs_heap_size_used_bytes'),
      externalMb: read('nodejs_external_memory_bytes'),
    };
  } catch {
    return undefined;
  }
}
