import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { Browser, signUp, uniqueEmail } from '../../support/accounts.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.log('REDIS_URL is not set: the Redis-backed session and rate-limit suite is skipped');

describe.skipIf(!REDIS_URL)('sessions and rate limits in Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    const env = { REDIS_URL: REDIS_URL!, RATE_LIMIT_LOGIN_PER_MINUTE: '4', TRUST_PROXY: 'true' };
    [a, b] = await Promise.all([startTestApp(embeddedTarget, { env }), startTestApp(embeddedTarget, { env })]);
    redis = new Redis(REDIS_URL!);
  });
  afterAll(async () => {
    expect([...a.specViolations, ...b.specViolations]).toEqual([]);
    await redis.quit();
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps browser sessions in Redis under the hash of their id, never in the database', async () => {
    const { email } = await signUp(a.app);
    const browser = new Browser(a.app);
    const { csrf_token } = await browser.signIn(email);
    const raw = decodeURIComponent(browser.cookies.get('sid')!).split('.')[0]!;
    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);

    const [rows] = await a.app.database.query<{ n: number }>('SELECT count(*)::int AS n FROM browser_sessions');
    expect(rows?.n).toBe(0);
    const keys = await redis.keys('idsvc:session:s:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((key) => key.includes(raw))).toBe(false);
    const values = await redis.mget(...keys);
    expect(values.some((value) => value?.includes(raw))).toBe(false);

    const out = await browser.request({ method: 'POST', url: '/v1/me/logout-all', headers: { 'x-csrf-token': csrf_token } });
    expect(out.json().browser_sessions).toBe(1);
    expect((await a.app.inject({ url: '/v1/me', headers: { cookie: `sid=${encodeURIComponent(raw)}` } })).statusCode).toBe(401);
  });

  it('shares login rate-limit counts between replicas', async () => {
    // An address of its own, so runs sharing this Redis do not share a bucket.
    const ip = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
    const attempt = (t: TestApp) =>
      t.app.inject({ method: 'POST', url: '/v1/session', headers: { 'x-forwarded-for': ip }, payload: { email: uniqueEmail(), password: 'whatever it is' } });
    const statuses = [];
    for (const t of [a, b, a, b, a]) statuses.push((await attempt(t)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });
});
