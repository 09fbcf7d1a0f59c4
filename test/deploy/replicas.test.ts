import pg from 'pg';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, postgresTarget } from '../support/databases.js';
import { ORDERS, basic } from '../support/oauth.js';
import { freePort, spawnService, type ServiceProcess } from '../support/process.js';
import {
  CHEAP_ARGON2,
  PASSWORD,
  REDIS_URL,
  browserLogin,
  clientCredentialsToken,
  eventually,
  http,
  introspect,
  jwksKids,
  killAll,
  mobileLogin,
  postForm,
  redisDatabase,
  refresh,
  revokeAsMobile,
  runCli,
  sendJson,
  signUp,
  stopService,
  waitReady,
} from '../support/deploy.js';

/**
 * Several replicas, one truth: two service processes on different ports, on
 * the same PostgreSQL database and Redis and with the same key-encryption key,
 * as Helm runs them behind a Service with no sticky sessions. Every case
 * alternates between them.
 */

const ready = Boolean(TEST_DATABASE_URL && REDIS_URL);
if (!ready) console.log('skipping the replicas suite: it needs PostgreSQL at TEST_DATABASE_URL and Redis at REDIS_URL');

// The suite's own Redis logical database, flushed before and after; nothing else is touched.
const REDIS_DB = 14;
// Per-account login attempts per minute, low so that the shared count shows within a few attempts.
const ACCOUNT_RATE = 4;

type Database = Awaited<ReturnType<typeof postgresTarget.create>>;

async function countKeys(database: Database): Promise<number> {
  const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('SELECT count(*) AS count FROM signing_keys');
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!ready)('several replicas, one truth', () => {
  let database: Database;
  let redis: Awaited<ReturnType<typeof redisDatabase>>;
  let env: Record<string, string>;
  let a: ServiceProcess;
  let b: ServiceProcess;
  const spawned: ServiceProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  const start = async (environment: Record<string, string>) => {
    const service = spawnService(environment, await freePort());
    spawned.push(service);
    return service;
  };

  beforeAll(async () => {
    database = await postgresTarget.create();
    cleanups.push(() => database.drop());
    const migrated = await runCli('migrate', [], { DATABASE_URL: database.env.DATABASE_URL! });
    expect(migrated.code, migrated.output).toBe(0);
    redis = await redisDatabase(REDIS_DB);
    cleanups.push(() => redis.flush());
    env = {
      ...database.env,
      ...CHEAP_ARGON2,
      REDIS_URL: redis.url,
      // One public URL for all replicas, as Helm's config.issuer: tokens name it, not the replica.
      ISSUER: 'http://identity.test',
      LOG_LEVEL: 'info',
      // A short grace window, so a replay after it is quick to reach; keys re-read every second.
      REFRESH_GRACE_SECONDS: '1',
      KEY_RELOAD_SECONDS: '1',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: String(ACCOUNT_RATE),
      // The account lockout must not be what stops the rate-limit case.
      LOGIN_MAX_FAILURES: '100',
    };
    // Both at once, on a database without keys: they race to create the first one.
    [a, b] = await Promise.all([start(env), start(env)]);
    await Promise.all([waitReady(a), waitReady(b)]);
  });

  afterAll(async () => {
    await killAll(spawned);
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('two replicas starting at once on an empty database create exactly one signing key and publish the same JWKS', async () => {
    expect(await countKeys(database)).toBe(1);
    const created = [a, b].map((replica) => replica.output().split('\n').filter((line) => line.includes('"msg":"signing key created"')).length);
    expect(created.reduce((x, y) => x + y, 0)).toBe(1);
    expect(await jwksKids(a.url)).toEqual(await jwksKids(b.url));
  });

  it('a browser session made on one authenticates on the other, and a logout on one is seen by the other', async () => {
    await signUp(a.url, 'session@example.test');
    const cookie = await browserLogin(b.url, 'session@example.test');
    const session = await http(`${a.url}/v1/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: 'session@example.test' });
    expect((await http(`${b.url}/v1/me`, { headers: { cookie } })).body).toMatchObject({ email: 'session@example.test' });

    // The CSRF token read on one replica is accepted by the other.
    const logout = await http(`${b.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': session.body.csrf_token } });
    expect(logout.status).toBe(204);
    expect((await http(`${a.url}/v1/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('a token minted on one verifies and introspects on the other', async () => {
    const serviceToken = await clientCredentialsToken(a.url);
    expect((await introspect(b.url, serviceToken)).body).toMatchObject({ active: true, client_id: 'orders', sub: 'orders' });
    expect(await jwksKids(b.url)).toContain(decodeProtectedHeader(serviceToken).kid);

    await signUp(b.url, 'tokens@example.test');
    const login = await mobileLogin(a.url, 'tokens@example.test');
    const me = await http(`${b.url}/v1/me`, { headers: { authorization: `Bearer ${login.access_token}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'tokens@example.test' });
    expect((await introspect(b.url, login.access_token)).body).toMatchObject({ active: true, sub: me.body.id, client_id: 'mobile' });
    expect((await introspect(b.url, login.refresh_token)).body).toMatchObject({ active: true, token_type: 'refresh_token' });
  });

  it('a refresh on one and a replay on the other: the same successor within the grace window, theft after it', async () => {
    await signUp(a.url, 'refresh@example.test');
    const first = await mobileLogin(a.url, 'refresh@example.test');
    const second = await refresh(b.url, first.refresh_token);
    expect(second.status).toBe(200);
    // A client that lost the answer retries on the other replica: the same successor (the grace window is one second).
    const retried = await refresh(a.url, first.refresh_token);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(second.body.refresh_token);
    expect(decodeJwt(retried.body.access_token).sid).toBe(decodeJwt(first.access_token).sid);

    const third = await refresh(a.url, second.body.refresh_token);
    expect(third.status).toBe(200);
    await sleep(1500);
    // The spent token again, after the window and on the other replica: reuse, and the whole family dies.
    const reuse = await refresh(b.url, second.body.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(a.url, third.body.refresh_token)).status).toBe(400);
    expect((await introspect(a.url, third.body.access_token)).body).toEqual({ active: false });
    expect((await introspect(b.url, third.body.refresh_token)).body).toEqual({ active: false });
  });

  it('a revocation on one is seen at once on the other', async () => {
    await signUp(b.url, 'revoke@example.test');
    const login = await mobileLogin(a.url, 'revoke@example.test');
    expect((await introspect(a.url, login.access_token)).body).toMatchObject({ active: true });
    expect((await revokeAsMobile(b.url, login.refresh_token)).status).toBe(200);
    // No waiting: the very next request to the other replica sees it.
    expect((await introspect(a.url, login.access_token)).body).toEqual({ active: false });
    expect((await refresh(a.url, login.refresh_token)).status).toBe(400);
    expect((await http(`${a.url}/v1/me/sessions`, { headers: { authorization: `Bearer ${login.access_token}` } })).status).toBe(401);

    // An access token revoked by the client it was issued to.
    const serviceToken = await clientCredentialsToken(b.url);
    expect((await postForm(`${a.url}/oauth/revoke`, { token: serviceToken, token_type_hint: 'access_token' }, { authorization: basic(ORDERS) })).status).toBe(200);
    expect((await introspect(b.url, serviceToken)).body).toEqual({ active: false });
  });

  it('a key rotation started on one is served by both JWKS endpoints within the reload interval', async () => {
    const before = await jwksKids(a.url);
    const signing = decodeProtectedHeader(await clientCredentialsToken(a.url)).kid;
    // `npm run keys -- rotate` with replica A's environment, as an operator would run it in A's pod.
    const rotated = await runCli('keys', ['rotate'], env);
    expect(rotated.code, rotated.output).toBe(0);
    const kid = /^Created (\S+):/m.exec(rotated.output)?.[1];
    expect(kid, rotated.output).toBeDefined();
    expect(before).not.toContain(kid);

    // KEY_RELOAD_SECONDS is 1 here: both publish the new key within a few seconds.
    for (const replica of [a, b]) {
      await eventually(async () => (await jwksKids(replica.url)).includes(kid!), 5000, `${replica.url} publishes ${kid}`);
    }
    // Published ahead of use: both still sign with the old key, which both still publish.
    for (const replica of [a, b]) {
      expect(decodeProtectedHeader(await clientCredentialsToken(replica.url)).kid).toBe(signing);
      expect(await jwksKids(replica.url)).toEqual(expect.arrayContaining([signing, kid]));
    }
    expect(await countKeys(database)).toBe(2);
  });

  it('rate-limit counts are shared: the per-account login limit holds across both replicas together', async () => {
    await signUp(a.url, 'limited@example.test');
    const attempt = (replica: ServiceProcess) =>
      sendJson(`${replica.url}/v1/auth/login`, 'POST', { email: 'limited@example.test', password: 'wrong password, guessing', client_id: 'mobile' });
    // Alternating: each replica alone would allow ACCOUNT_RATE attempts; together they allow ACCOUNT_RATE.
    for (let i = 0; i < ACCOUNT_RATE; i += 1) {
      expect((await attempt(i % 2 === 0 ? a : b)).status).toBe(401);
    }
    for (const replica of [a, b]) {
      const limited = await attempt(replica);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The right password too: the limit counts attempts, not failures.
    expect((await sendJson(`${b.url}/v1/auth/login`, 'POST', { email: 'limited@example.test', password: PASSWORD, client_id: 'mobile' })).status).toBe(429);
  });

  describe('scheduled rotation due on both replicas at once', () => {
    it('produces exactly one new key, which both publish', async () => {
      const fresh = await postgresTarget.create();
      cleanups.push(() => fresh.drop());
      const freshEnv = { ...env, ...fresh.env };
      expect((await runCli('migrate', [], freshEnv)).code).toBe(0);
      // The key in service: created by the CLI, so that both replicas find it when they start.
      const seeded = await runCli('keys', ['rotate'], freshEnv);
      expect(seeded.code, seeded.output).toBe(0);
      expect(await countKeys(fresh)).toBe(1);

      // Rotation every day, with a day of pre-publication: the next key is due at once, on both, at the same moment.
      const dueEnv = { ...freshEnv, KEY_ROTATION_DAYS: '1', KEY_PREPUBLISH_SECONDS: '86400' };
      const [c, d] = await Promise.all([start(dueEnv), start(dueEnv)]);
      await Promise.all([waitReady(c), waitReady(d)]);
      expect(await countKeys(fresh)).toBe(2);
      const created = [c, d].flatMap((replica) => replica.output().split('\n').filter((line) => line.includes('"msg":"signing key created"')));
      expect(created).toHaveLength(1);
      expect(created[0]).toContain('"reason":"scheduled"');
      for (const replica of [c, d]) {
        await eventually(async () => (await jwksKids(replica.url)).length === 2, 5000, `${replica.url} publishes both keys`);
      }
      expect(await jwksKids(c.url)).toEqual(await jwksKids(d.url));
      await Promise.all([stopService(c), stopService(d)]);
    });
  });
});
