import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { createPruner } from '../../../src/composition/pruning.js';
import { revocationWindowSeconds } from '../../../src/composition/revocations.js';
import { ManualClock } from '../../../src/domain/clock.js';
import { appLogin, Browser, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets, embeddedTarget } from '../../support/databases.js';
import { GATEWAY, ORDERS, basic, introspect, postForm } from '../../support/oauth.js';
import { emailOfInsertedUser, insertUser } from '../../support/users.js';

interface FeedClaims extends JWTPayload {
  version: number;
  sids: Record<string, number>;
  subs: Record<string, number>;
}

const FEED = '/oauth/revocations';

describe.each(databaseTargets)('the revocation feed on $name', (target) => {
  let t: TestApp;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    // No mail, no outbox poll and no periodic reload in the window: the round trips counted below are the token routes' alone.
    t = await startTestApp(target, { clock, env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000', EMAIL_VERIFICATION: 'off', MAIL_POLL_SECONDS: '300', KEY_RELOAD_SECONDS: '300' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const fetchFeed = (headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: FEED, headers: { authorization: basic(GATEWAY), ...headers } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const now = () => Math.floor(clock.now().getTime() / 1000);

  /** The feed, its signature verified against the service's own JWKS. */
  async function feed(): Promise<FeedClaims> {
    const response = await fetchFeed();
    expect(response.statusCode).toBe(200);
    const jwks = createLocalJWKSet((await t.app.inject('/.well-known/jwks.json')).json());
    const { payload } = await jwtVerify<FeedClaims>(response.body, jwks, {
      algorithms: ['ES256'],
      typ: 'revocation-feed+jwt',
      issuer: t.config.issuer,
      currentDate: clock.now(),
    });
    return payload;
  }

  async function login(roles = ['user']) {
    const userId = await insertUser(t.app.database, roles);
    const tokens = await t.app.tokens.startLogin({ userId, email: emailOfInsertedUser(userId), roles, client: t.app.clients.find('mobile')!, scope: 'openid offline_access' });
    return { userId, tokens, sid: decodeJwt(tokens.access_token).sid as string };
  }

  it('is a JWT signed with the JWKS key: typ, kid, exactly the documented claims, ETag and a short max-age', async () => {
    const response = await fetchFeed();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/jwt');
    expect(response.headers['cache-control']).toBe('private, max-age=5');
    const header = decodeProtectedHeader(response.body);
    expect(header).toEqual({ alg: 'ES256', typ: 'revocation-feed+jwt', kid: expect.any(String) });
    const kids = (await t.app.inject('/.well-known/jwks.json')).json().keys.map((key: { kid: string }) => key.kid);
    expect(kids).toContain(header.kid);
    const claims = await feed();
    expect(Object.keys(claims).sort()).toEqual(['exp', 'iat', 'iss', 'sids', 'subs', 'version']);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(response.headers.etag).toBe(`"${claims.version}"`);
  });

  it('is named in both discovery documents', async () => {
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      expect((await t.app.inject(url)).json().revocation_feed_uri).toBe(`${t.config.issuer}${FEED}`);
    }
  });

  it('answers 304 to the current version, and the new feed once something is revoked', async () => {
    const before = await fetchFeed();
    const etag = before.headers.etag as string;
    const unchanged = await fetchFeed({ 'if-none-match': etag });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.body).toBe('');
    expect(unchanged.headers.etag).toBe(etag);
    // Served from the cache: the same signed string while the version stands.
    expect((await fetchFeed()).body).toBe(before.body);

    const { sid } = await login();
    await t.app.tokens.revokeLogin(sid, 'logout');
    const after = await fetchFeed({ 'if-none-match': etag });
    expect(after.statusCode).toBe(200);
    expect(Number(JSON.parse(after.headers.etag as string))).toBeGreaterThan(Number(JSON.parse(etag)));
    expect(decodeJwt<FeedClaims>(after.body).sids[sid]).toBe(now());
  });

  it('refuses callers that do not authenticate as a confidential client', async () => {
    const none = await t.app.inject({ method: 'GET', url: FEED });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe('invalid_client');
    const wrong = await t.app.inject({ method: 'GET', url: FEED, headers: { authorization: basic({ id: ORDERS.id, secret: 'not-the-secret' }) } });
    expect(wrong.statusCode).toBe(401);
    const publicClient = await postForm(t.app, FEED, { client_id: 'mobile' });
    expect(publicClient.statusCode).toBe(401);
    expect(publicClient.json().error).toBe('invalid_client');
  });

  it('accepts client_secret_post on POST with the same feed', async () => {
    const posted = await postForm(t.app, FEED, { client_id: ORDERS.id, client_secret: ORDERS.secret });
    expect(posted.statusCode).toBe(200);
    expect(posted.headers['content-type']).toBe('application/jwt');
    expect(posted.body).toBe((await fetchFeed()).body);
  });

  it('lists the logins ended by logout-all, and /v1/me and introspection refuse their tokens at once', async () => {
    const user = await signUp(t.app);
    const phone = await appLogin(t.app, user.email);
    const tablet = await appLogin(t.app, user.email);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(tablet.access_token) })).statusCode).toBe(200);

    expect((await t.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: bearer(phone.access_token) })).statusCode).toBe(200);
    const { sids } = await feed();
    for (const tokens of [phone, tablet]) {
      expect(sids[decodeJwt(tokens.access_token).sid as string]).toBe(now());
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(tokens.access_token) })).statusCode).toBe(401);
      expect((await introspect(t.app, tokens.access_token)).json()).toEqual({ active: false });
    }
  });

  it('introspects access tokens and serves Bearer /v1/me without a database round trip, revoked or not', async () => {
    const live = await login();
    const revoked = await login();
    await t.app.tokens.revokeLogin(revoked.sid, 'logout');
    const db = t.app.database;
    const calls = [vi.spyOn(db, 'query'), vi.spyOn(db, 'transaction'), vi.spyOn(db, 'withSession')];
    try {
      // The revocation's own NOTIFY comes back to this replica, which catches up from the database: let that finish first.
      const queries = () => calls.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      for (let seen = -1, i = 0; seen !== queries() && i < 30; i++) {
        seen = queries();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const spy of calls) spy.mockClear();
      expect((await introspect(t.app, live.tokens.access_token)).json().active).toBe(true);
      expect((await introspect(t.app, revoked.tokens.access_token)).json()).toEqual({ active: false });
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(live.tokens.access_token) })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(revoked.tokens.access_token) })).statusCode).toBe(401);
      expect(calls.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
    } finally {
      for (const spy of calls) spy.mockRestore();
    }
  });

  it('lists a login revoked through RFC 7009, by refresh token and by access token', async () => {
    const byRefresh = await login();
    const byAccess = await login();
    await postForm(t.app, '/oauth/revoke', { token: byRefresh.tokens.refresh_token!, client_id: 'mobile' });
    await postForm(t.app, '/oauth/revoke', { token: byAccess.tokens.access_token, client_id: 'mobile' });
    const { sids } = await feed();
    expect(sids[byRefresh.sid]).toBe(now());
    expect(sids[byAccess.sid]).toBe(now());
  });

  it('lists the family revoked by refresh-token theft', async () => {
    const { tokens, sid } = await login();
    const refresh = (token: string) => postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: 'mobile' });
    expect((await refresh(tokens.refresh_token!)).statusCode).toBe(200);
    clock.advance(11);
    expect((await refresh(tokens.refresh_token!)).statusCode).toBe(400);
    await expect.poll(async () => (await feed()).sids[sid]).toBe(now());
  });

  it('lists the logins a password change ends', async () => {
    const user = await signUp(t.app);
    const other = await appLogin(t.app, user.email);
    const browser = new Browser(t.app);
    const { csrf_token } = await browser.signIn(user.email);
    const change = await browser.request({
      method: 'POST',
      url: '/v1/me/password',
      headers: { 'x-csrf-token': csrf_token },
      payload: { current_password: 'correct horse battery staple 42', new_password: 'a brand new passphrase 2030' },
    });
    expect(change.statusCode).toBe(200);
    expect((await feed()).sids[decodeJwt(other.access_token).sid as string]).toBe(now());
  });

  it('lists a disabled user as a subject, and a revoked client-credentials token as its client up to its iat', async () => {
    const admin = await login(['user', 'admin']);
    const victim = await login();
    const disable = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.userId}/disable`, headers: bearer(admin.tokens.access_token) });
    expect(disable.statusCode).toBe(200);

    const issued = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(ORDERS) });
    const serviceToken = issued.json().access_token as string;
    expect((await introspect(t.app, serviceToken)).json().active).toBe(true);
    await postForm(t.app, '/oauth/revoke', { token: serviceToken }, { authorization: basic(ORDERS) });
    expect((await introspect(t.app, serviceToken)).json()).toEqual({ active: false });

    const { subs, sids } = await feed();
    expect(subs[victim.userId]).toBe(now());
    expect(sids[victim.sid]).toBe(now());
    expect(subs[ORDERS.id]).toBe(decodeJwt(serviceToken).iat);
    // The next second's token of that client is not caught by it.
    clock.advance(1);
    const next = (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(ORDERS) })).json().access_token as string;
    expect((await introspect(t.app, next)).json().active).toBe(true);
  });

  it('drops entries once every token they could affect has expired, and pruning deletes their rows', async () => {
    const { sid } = await login();
    await t.app.tokens.revokeLogin(sid, 'logout');
    const { version } = await feed();
    expect((await feed()).sids[sid]).toBeDefined();
    // The longest access-token lifetime of the demo clients (shop-app: 1800 s) plus the 30 s skew.
    clock.advance(1800 + 30 + 1);
    const later = await feed();
    expect(later.sids[sid]).toBeUndefined();
    expect(Object.keys(later.sids)).toEqual([]);
    expect(later.version).toBe(version);

    const rowsBefore = await t.app.database.query('SELECT 1 FROM revocations');
    expect(rowsBefore.length).toBeGreaterThan(0);
    const pruner = createPruner(t.config, {
      database: t.app.database,
      clock,
      log: { info() {}, warn() {} },
      metrics: { pruned() {}, run() {} },
      revocationWindowSeconds: revocationWindowSeconds(t.config, t.app.clients),
    });
    const pruned = await pruner.runOnce();
    expect(pruned?.revocations).toBe(rowsBefore.length);
    expect(await t.app.database.query('SELECT 1 FROM revocations')).toEqual([]);
  });
});

describe('the revocation feed with REVOCATION_FEED_PUBLIC=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget, { env: { REVOCATION_FEED_PUBLIC: 'true' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('answers anyone, with a public Cache-Control', async () => {
    const response = await t.app.inject({ method: 'GET', url: FEED });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=5');
    expect(decodeJwt(response.body)).toMatchObject({ version: 0, sids: {}, subs: {} });
  });
});
