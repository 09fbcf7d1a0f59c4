import http from 'node:http';
import autocannon from 'autocannon';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, postgresTarget } from '../support/databases.js';
import { GATEWAY, basic } from '../support/oauth.js';
import { freePort, spawnService, type ServiceProcess } from '../support/process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startBlackholeProxy, type BlackholeProxy } from '../support/blackhole-proxy.js';
import { startBalancer, type Balancer } from '../support/round-robin.js';
import {
  CHEAP_ARGON2,
  REDIS_URL,
  browserLogin,
  clientCredentialsToken,
  eventually,
  exitWithin,
  http as request,
  introspect,
  jwksKids,
  killAll,
  mobileLogin,
  redisDatabase,
  refresh,
  requestLog,
  revokeAsMobile,
  runCli,
  sendJson,
  signUp,
  stopService,
  waitReady,
} from '../support/deploy.js';

/**
 * Faults a platform sees: the database or Redis going away and coming back,
 * SIGTERM while serving, and a rolling restart, each against built service
 * processes over real TCP (a proxy between service and dependency that the
 * test cuts and restores; a round-robin balancer in front of replicas).
 */

if (!TEST_DATABASE_URL) console.log('skipping the fault suites: they need PostgreSQL at TEST_DATABASE_URL');
if (TEST_DATABASE_URL && !REDIS_URL) console.log('skipping the Redis fault cases: REDIS_URL is not set');

// The suite's own Redis logical database, flushed before and after; nothing else is touched.
const REDIS_DB = 13;

const noStackTrace = (text: string) => {
  expect(text).not.toMatch(/\n\s+at |Error:|node_modules|ECONN|Connection terminated|prisma/i);
};

describe.skipIf(!TEST_DATABASE_URL)('faults survived, nothing lost', () => {
  let database: Awaited<ReturnType<typeof postgresTarget.create>>;
  let redis: Awaited<ReturnType<typeof redisDatabase>> | undefined;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy | undefined;
  let service: ServiceProcess;
  const spawned: ServiceProcess[] = [];
  /** Environment every process of this suite shares (the same database, Redis and key-encryption key). */
  let shared: Record<string, string>;
  /** The same, but reaching PostgreSQL and Redis through the proxies. */
  let proxied: Record<string, string>;

  const spawn = async (env: Record<string, string>, port?: number) => {
    const child = spawnService(env, port ?? (await freePort()));
    spawned.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await postgresTarget.create();
    const migrated = await runCli('migrate', [], { DATABASE_URL: database.env.DATABASE_URL! });
    expect(migrated.code, migrated.output).toBe(0);
    const pgUrl = new URL(database.env.DATABASE_URL!);
    pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const viaPgProxy = new URL(pgUrl);
    viaPgProxy.host = `127.0.0.1:${pgProxy.port}`;

    // Login rate limits are not under test here and must not get in the way.
    shared = { ...database.env, ...CHEAP_ARGON2, ISSUER: 'http://identity.test', LOG_LEVEL: 'warn', DATABASE_TIMEOUT_MS: '1000', RATE_LIMIT_LOGIN_PER_MINUTE: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000' };
    proxied = { ...shared, DATABASE_URL: viaPgProxy.toString() };
    if (REDIS_URL) {
      redis = await redisDatabase(REDIS_DB);
      const redisUrl = new URL(redis.url);
      redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
      const viaRedisProxy = new URL(redisUrl);
      viaRedisProxy.host = `127.0.0.1:${redisProxy.port}`;
      shared.REDIS_URL = redis.url;
      proxied.REDIS_URL = viaRedisProxy.toString();
    }
    service = await spawn(proxied);
    await waitReady(service);
  });

  afterAll(async () => {
    await killAll(spawned);
    await pgProxy?.close();
    await redisProxy?.close();
    await redis?.flush();
    await database?.drop();
  });

  describe('PostgreSQL cut and restored', () => {
    it('turns unready within seconds, answers 503 (never 500, never a hang) while down, and recovers without a restart, losing and resurrecting nothing', async () => {
      const base = service.url;
      // Written before the cut: a user, a live refresh family, a revoked one, a browser session, a client-credentials token.
      await signUp(base, 'cut@example.test');
      const live = await mobileLogin(base, 'cut@example.test');
      const revoked = await mobileLogin(base, 'cut@example.test');
      expect((await revokeAsMobile(base, revoked.refresh_token)).status).toBe(200);
      const cookie = await browserLogin(base, 'cut@example.test');
      const serviceToken = await clientCredentialsToken(base);
      const kid = (await jwksKids(base))[0];

      pgProxy.cut();
      try {
        const unready = await eventually(async () => (await request(`${base}/readyz`, { timeoutMs: 3000 })).status === 503, 5000, '/readyz turns 503');
        expect(unready).toBeLessThan(3000);
        const down = await request(`${base}/readyz`);
        expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        // Liveness stays up: restarting pods would not bring the database back.
        expect((await request(`${base}/healthz`)).status).toBe(200);

        // OAuth endpoints: RFC 6749 temporarily_unavailable, with status 503, quickly.
        for (const attempt of [() => refresh(base, live.refresh_token), () => introspect(base, live.refresh_token), () => revokeAsMobile(base, live.refresh_token)]) {
          const answer = await attempt();
          expect(answer.status, answer.text).toBe(503);
          expect(answer.body).toMatchObject({ error: 'temporarily_unavailable' });
          expect(answer.headers.get('cache-control')).toBe('no-store');
          expect(answer.ms).toBeLessThan(3000);
          noStackTrace(answer.text);
        }
        // Everything else: RFC 9457 problem+json of the `unavailable` type.
        for (const attempt of [
          () => sendJson(`${base}/v1/users`, 'POST', { email: 'during-cut@example.test', password: 'correct horse battery staple' }),
          () => sendJson(`${base}/v1/auth/login`, 'POST', { email: 'cut@example.test', password: 'correct horse battery staple', client_id: 'mobile' }),
          // The device list checks the login is live: a lookup.
          () => request(`${base}/v1/me/sessions`, { headers: { authorization: `Bearer ${live.access_token}` } }),
        ]) {
          const answer = await attempt();
          expect(answer.status, answer.text).toBe(503);
          expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(answer.body).toMatchObject({ type: 'urn:identity-service:problem:unavailable', status: 503 });
          expect(answer.ms).toBeLessThan(3000);
          noStackTrace(answer.text);
        }
        // Offline: keys are held in memory, so the JWKS is still served, service-to-service tokens are still
        // issued (no database involved), and downstream services verify tokens, old and new, as before.
        const jwks = await request(`${base}/.well-known/jwks.json`);
        expect(jwks.status).toBe(200);
        // A Bearer /v1/me answers from the token itself.
        expect((await request(`${base}/v1/me`, { headers: { authorization: `Bearer ${live.access_token}` } })).body).toMatchObject({ email: 'cut@example.test' });
        expect((await request(`${base}/.well-known/oauth-authorization-server`)).status).toBe(200);
        expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
        const issuedDuringCut = await clientCredentialsToken(base);
        for (const token of [serviceToken, issuedDuringCut, live.access_token]) {
          await jwtVerify(token, createLocalJWKSet(jwks.body), { issuer: 'http://identity.test', audience: 'api', algorithms: ['ES256'] });
        }
      } finally {
        pgProxy.restore();
      }

      const recovered = await eventually(async () => (await request(`${base}/readyz`)).status === 200, 10_000, '/readyz recovers');
      expect(recovered).toBeLessThan(5000);
      // Nothing lost: the family issued before the cut still rotates, the service token is still active, the session still signs in.
      const rotated = await refresh(base, live.refresh_token);
      expect(rotated.status, rotated.text).toBe(200);
      expect((await introspect(base, serviceToken)).body).toMatchObject({ active: true });
      expect((await request(`${base}/v1/me`, { headers: { cookie } })).status).toBe(200);
      // Nothing resurrected: the family revoked before the cut stays revoked.
      const dead = await refresh(base, revoked.refresh_token);
      expect(dead.status).toBe(400);
      expect(dead.body).toMatchObject({ error: 'invalid_grant' });
      expect((await introspect(base, revoked.access_token)).body).toEqual({ active: false });
      expect(service.child.exitCode).toBeNull();
    });
  });

  describe('PostgreSQL gone silent, then failed over', () => {
    let silentProxy: BlackholeProxy | undefined;
    afterAll(async () => silentProxy?.close());

    it('answers 503 within the database timeout while nothing answers, and recovers fully once new connections work', async () => {
      const pgUrl = new URL(database.env.DATABASE_URL!);
      silentProxy = await startBlackholeProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
      pgUrl.host = `127.0.0.1:${silentProxy.port}`;
      // A small pool, so that a connection left broken in it would fail requests again and again.
      const target = await spawn({ ...shared, DATABASE_URL: pgUrl.toString(), DATABASE_POOL_SIZE: '3' });
      await waitReady(target);
      const base = target.url;
      await signUp(base, 'silent@example.test');
      let chain = await mobileLogin(base, 'silent@example.test');
      const serviceToken = await clientCredentialsToken(base);
      // Every pooled connection in use once, so that all of them go silent with the network.
      await Promise.all(Array.from({ length: 6 }, () => introspect(base, serviceToken)));

      silentProxy.blackhole();
      await eventually(async () => (await request(`${base}/readyz`, { timeoutMs: 5000 })).status === 503, 5000, '/readyz turns 503');
      // DATABASE_TIMEOUT_MS is 1000: connecting and each query give up after a second; a transaction also tries to roll back.
      for (const attempt of [() => refresh(base, chain.refresh_token), () => introspect(base, chain.refresh_token), () => request(`${base}/v1/me/sessions`, { headers: { authorization: `Bearer ${chain.access_token}` } })]) {
        const answer = await attempt();
        expect(answer.status, answer.text).toBe(503);
        expect(answer.ms).toBeLessThan(3500);
        noStackTrace(answer.text);
      }

      // Failover: new connections work, the silent ones never answer again.
      silentProxy.restore();
      await eventually(async () => (await request(`${base}/readyz`)).status === 200, 10_000, '/readyz recovers');
      // Then every request succeeds: no silent connection is handed out again.
      for (let i = 0; i < 12; i += 1) {
        const rotated = await refresh(base, chain.refresh_token);
        expect(rotated.status, `refresh ${i}: ${rotated.text}`).toBe(200);
        chain = rotated.body;
        expect((await introspect(base, chain.access_token)).body, `introspection ${i}`).toMatchObject({ active: true });
        expect((await request(`${base}/v1/me`, { headers: { authorization: `Bearer ${chain.access_token}` } })).status, `me ${i}`).toBe(200);
      }
      await stopService(target);
    });
  });

  describe.skipIf(!REDIS_URL)('Redis cut and restored', () => {
    it('degrades as documented: tokens keep working on the database, sessions answer 503, a revoked token is never accepted', async () => {
      const base = service.url;
      await signUp(base, 'redis-cut@example.test');
      const cookie = await browserLogin(base, 'redis-cut@example.test');
      const ended = await browserLogin(base, 'redis-cut@example.test');
      const endedSession = await request(`${base}/v1/session`, { headers: { cookie: ended } });
      expect((await request(`${base}/v1/session`, { method: 'DELETE', headers: { cookie: ended, 'x-csrf-token': endedSession.body.csrf_token } })).status).toBe(204);
      const live = await mobileLogin(base, 'redis-cut@example.test');
      const revoked = await mobileLogin(base, 'redis-cut@example.test');
      expect((await revokeAsMobile(base, revoked.refresh_token)).status).toBe(200);

      redisProxy!.cut();
      try {
        // Readiness is about the database: a Redis outage must not take every replica out of the load balancer.
        expect((await request(`${base}/readyz`)).status).toBe(200);
        // Sessions live in Redis: they can be neither confirmed nor refused, so 503, not 401 (which would sign the browser out).
        for (const attempt of [
          () => request(`${base}/v1/session`, { headers: { cookie } }),
          () => request(`${base}/v1/me`, { headers: { cookie } }),
          () => request(`${base}/v1/me`, { headers: { cookie: ended } }),
          () => sendJson(`${base}/v1/session`, 'POST', { email: 'redis-cut@example.test', password: 'correct horse battery staple' }),
        ]) {
          const answer = await attempt();
          expect(answer.status, answer.text).toBe(503);
          expect(answer.body).toMatchObject({ type: 'urn:identity-service:problem:unavailable' });
          expect(answer.ms).toBeLessThan(4000);
          noStackTrace(answer.text);
        }
        // Tokens: verification, revocation and refresh are in PostgreSQL and keep working; revoked stays revoked,
        // also on the routes that check revocation at once (the device list, admin).
        expect((await request(`${base}/v1/me`, { headers: { authorization: `Bearer ${live.access_token}` } })).status).toBe(200);
        expect((await request(`${base}/v1/me/sessions`, { headers: { authorization: `Bearer ${revoked.access_token}` } })).status).toBe(401);
        expect((await introspect(base, revoked.access_token)).body).toEqual({ active: false });
        expect((await refresh(base, revoked.refresh_token)).status).toBe(400);
        const rotated = await refresh(base, live.refresh_token);
        expect(rotated.status, rotated.text).toBe(200);
        // Mobile login needs no session; its rate limit fails open, the per-account lockout (in PostgreSQL) still holds.
        expect((await mobileLogin(base, 'redis-cut@example.test')).refresh_token).toBeTruthy();
      } finally {
        redisProxy!.restore();
      }

      await eventually(async () => (await request(`${base}/v1/session`, { headers: { cookie } })).status === 200, 10_000, 'sessions come back with Redis');
      // The session that ended before the cut stays ended.
      expect((await request(`${base}/v1/session`, { headers: { cookie: ended } })).status).toBe(401);
      expect(service.child.exitCode).toBeNull();
    });
  });

  describe('SIGTERM under load', () => {
    it('turns unready first, finishes every accepted request, and exits 0 within the grace period', async () => {
      const delayMs = 1000;
      const graceMs = 5000;
      // Request logging with arrivals (debug): the log is the server's own account of every request it accepted.
      const target = await spawn({ ...shared, LOG_LEVEL: 'debug', SHUTDOWN_DELAY_MS: String(delayMs), SHUTDOWN_GRACE_MS: String(graceMs) });
      await waitReady(target);
      const token = await clientCredentialsToken(target.url);
      const port = Number(new URL(target.url).port);

      // autocannon's per-request timings go astray when connections close under it, so answers are dated on arrival.
      const responses: { status: number; at: number }[] = [];
      const errors: { code: string; at: number }[] = [];
      let settle: (result: autocannon.Result) => void = () => {};
      const finished = new Promise<autocannon.Result>((resolve) => (settle = resolve));
      const load = autocannon(
        {
          url: `${target.url}/oauth/introspect`,
          method: 'POST',
          headers: { authorization: basic(GATEWAY), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }).toString(),
          connections: 8,
          duration: 20,
          timeout: 5,
        },
        (_error, result) => settle(result),
      );
      load.on('response', (_client, statusCode) => responses.push({ status: statusCode, at: Date.now() }));
      load.on('reqError', (error: NodeJS.ErrnoException) => errors.push({ code: error.code ?? error.message, at: Date.now() }));

      // An endpoints controller's view: readiness probed on fresh connections.
      const probes: { at: number; status: number }[] = [];
      let probing = true;
      const prober = (async () => {
        while (probing) {
          const status = await new Promise<number>((resolve) => {
            const probe = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 1000 }, (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            });
            probe.on('timeout', () => probe.destroy());
            probe.on('error', () => resolve(0));
          });
          probes.push({ at: Date.now(), status });
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 1500));
      const servedBefore = responses.length;
      const signalAt = Date.now();
      target.child.kill('SIGTERM');
      // While draining, answers close their connection so that clients reconnect through the load balancer.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const duringDrain = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (response) => resolve(response.resume())).on('error', reject),
      );
      expect(duringDrain.statusCode).toBe(200);
      expect(duringDrain.headers.connection).toBe('close');
      const code = await exitWithin(target, delayMs + graceMs + 3000);
      const exitedAt = Date.now();
      probing = false;
      load.stop();
      const result = await finished;
      await prober;

      expect(code).toBe(0);
      expect(exitedAt - signalAt).toBeLessThan(delayMs + graceMs);
      expect(servedBefore).toBeGreaterThan(20);
      // Readiness turned 503 promptly, while the listener stayed open for the whole delay.
      const firstUnready = probes.find((probe) => probe.at > signalAt && probe.status === 503);
      expect(firstUnready, JSON.stringify(probes.slice(-20))).toBeDefined();
      // Well within the delay (probes and signal handling share two busy cores with the load generator).
      expect(firstUnready!.at - signalAt).toBeLessThan(delayMs / 2);
      const firstRefused = probes.find((probe) => probe.at > signalAt && probe.status === 0);
      if (firstRefused) expect(firstRefused.at - signalAt).toBeGreaterThanOrEqual(delayMs - 50);
      expect(probes.filter((probe) => probe.at > firstUnready!.at).every((probe) => probe.status !== 200)).toBe(true);

      // Every request the server accepted was answered 200, and every such answer reached the client.
      const log = requestLog(target.output());
      const accepted = [...log.incoming].filter(([, url]) => url === '/oauth/introspect').map(([id]) => id);
      expect(accepted.length).toBeGreaterThan(servedBefore);
      const unanswered = accepted.filter((id) => log.completed.get(id) !== 200);
      expect(unanswered).toEqual([]);
      const ok = responses.filter((response) => response.status === 200);
      expect(ok.length).toBe(accepted.length);
      expect(result.timeouts).toBe(0);
      // Every answer until the listener closed was 200. Only a request that reached the server after that, on a
      // connection opened just before (which a load balancer, having seen 503 for the whole delay, no longer
      // makes), is turned away: 503 with `Connection: close`, before the server accepts it (so not in its log).
      const failed = responses.filter((response) => response.status !== 200);
      expect(failed.filter((response) => response.at < signalAt + delayMs - 20)).toEqual([]);
      expect(failed.every((response) => response.status === 503)).toBe(true);
      expect(failed.length).toBeLessThanOrEqual(8);
      // Connection errors only for connections made after the listener closed: refused, or reset before a request was read.
      expect(errors.filter((error) => !['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(error.code))).toEqual([]);
      expect(errors.filter((error) => error.at < signalAt + delayMs - 50)).toEqual([]);
    });
  });

  describe('rolling restart behind a round-robin balancer', () => {
    let balancer: Balancer | undefined;
    afterAll(async () => balancer?.close());

    it('loses no request a client with one retry would not recover, and no data', async () => {
      const ports = [await freePort(), await freePort()];
      const env = { ...shared, SHUTDOWN_DELAY_MS: '600', SHUTDOWN_GRACE_MS: '5000' };
      const replicas = await Promise.all(ports.map((port) => spawn(env, port)));
      await Promise.all(replicas.map((replica) => waitReady(replica)));
      balancer = await startBalancer(ports, { probeIntervalMs: 100 });
      const base = balancer.url;

      await signUp(base, 'rolling@example.test');
      const cookie = await browserLogin(base, 'rolling@example.test');
      // Each worker rotates its own refresh family: a write per request, where a lost write or a double spend would break the chain.
      const workers = 4;
      const chains = await Promise.all(Array.from({ length: workers }, () => mobileLogin(base, 'rolling@example.test')));
      const outcome = { ok: 0, retried: 0, lost: [] as string[] };
      let running = true;

      const once = async (refreshToken: string) => {
        const answer = await refresh(base, refreshToken, 5000);
        if (answer.status !== 200) throw new Error(`${answer.status} ${answer.text}`);
        return answer.body as { access_token: string; refresh_token: string };
      };
      const work = async (index: number) => {
        while (running) {
          const current = chains[index]!;
          let next: { access_token: string; refresh_token: string };
          try {
            next = await once(current.refresh_token);
          } catch {
            outcome.retried += 1;
            try {
              // The retry presents the same token: within the grace window the service answers the same successor.
              next = await once(current.refresh_token);
            } catch (error) {
              outcome.lost.push(String(error));
              continue;
            }
          }
          chains[index] = next;
          outcome.ok += 1;
        }
      };
      const load = Promise.all(Array.from({ length: workers }, (_, index) => work(index)));

      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const [index, port] of ports.entries()) {
        const before = outcome.ok;
        expect(await stopService(replicas[index]!, 10_000)).toBe(0);
        const restarted = await spawn(env, port);
        replicas[index] = restarted;
        await waitReady(restarted);
        await eventually(async () => balancer!.ready(port), 5000, `balancer sees ${port} ready`);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(outcome.ok, 'requests kept succeeding during the restart').toBeGreaterThan(before);
      }
      running = false;
      await load;

      expect(outcome.lost).toEqual([]);
      expect(outcome.ok).toBeGreaterThan(40);
      // Both replicas served, before and after their restart.
      for (const port of ports) expect(balancer.forwarded.get(port)).toBeGreaterThan(1);
      // No data lost: every chain still rotates, so no rotation was lost or double-spent, and the session survived both restarts.
      for (const chain of chains) expect((await refresh(base, chain.refresh_token)).status).toBe(200);
      expect((await request(`${base}/v1/me`, { headers: { cookie } })).status).toBe(200);
      await Promise.all(replicas.map((replica) => stopService(replica)));
    });
  });
});
