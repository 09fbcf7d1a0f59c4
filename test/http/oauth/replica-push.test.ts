import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startTestApp, type TestApp } from '../../support/app.js';
import { postgresTarget, TEST_DATABASE_URL } from '../../support/databases.js';
import { basic, GATEWAY } from '../../support/oauth.js';
import { emailOfInsertedUser, insertUser } from '../../support/users.js';

/**
 * Two replicas on one PostgreSQL. The periodic reload is set to its maximum
 * (300 s), so a change seen on the other replica within the test can only
 * have come through the push (NOTIFY).
 */
describe.skipIf(!TEST_DATABASE_URL)('push between two replicas on PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  const env = { KEY_RELOAD_SECONDS: '300' };

  beforeAll(async () => {
    a = await startTestApp(postgresTarget, { env });
    b = await startTestApp(postgresTarget, { env, replicaOf: a });
  });
  afterAll(async () => {
    expect([...a.specViolations, ...b.specViolations]).toEqual([]);
    await b.close();
    await a.close();
  });

  async function login(roles = ['user']) {
    const userId = await insertUser(a.app.database, roles);
    return a.app.tokens.startLogin({ userId, email: emailOfInsertedUser(userId), roles, client: a.app.clients.find('mobile')!, scope: 'openid offline_access' });
  }
  const me = (app: TestApp, token: string) => app.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  /** Milliseconds from now until `replica` refuses `token` on /v1/me (at most 2 s). */
  async function untilRefused(replica: TestApp, token: string): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < 2000) {
      if ((await me(replica, token)).statusCode === 401) return performance.now() - start;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    throw new Error('the other replica still accepts the token after 2 s');
  }

  it('a logout-all on one replica stops the access token on the other in well under a second', async () => {
    const tokens = await login();
    expect((await me(b, tokens.access_token)).statusCode).toBe(200);
    const logout = await a.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(logout.statusCode).toBe(200);
    // The replica that revoked refuses at once, before any notification.
    expect((await me(a, tokens.access_token)).statusCode).toBe(401);
    const latency = await untilRefused(b, tokens.access_token);
    console.log(`revocation push: the other replica refused the token ${latency.toFixed(1)} ms after logout-all answered`);
    expect(latency).toBeLessThan(500);
  });

  it('a key compromise on one replica is refused on the other in well under a second', async () => {
    const tokens = await login(['user', 'admin']);
    const kid = decodeProtectedHeader(tokens.access_token).kid!;
    expect((await me(b, tokens.access_token)).statusCode).toBe(200);
    await a.app.keyService.rotate({ compromised: true, kid });
    const latency = await untilRefused(b, tokens.access_token);
    console.log(`key push: the other replica refused a token of the compromised key ${latency.toFixed(1)} ms after the rotation returned`);
    expect(latency).toBeLessThan(500);
    const jwks = (await b.app.inject('/.well-known/jwks.json')).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).not.toContain(kid);
  });

  it('both replicas publish the same feed version', async () => {
    const tokens = await login();
    await a.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: { authorization: `Bearer ${tokens.access_token}` } });
    await untilRefused(b, tokens.access_token);
    const feedOf = async (replica: TestApp) =>
      (await replica.app.inject({ method: 'GET', url: '/oauth/revocations', headers: { authorization: basic(GATEWAY) } })).headers.etag;
    expect(await feedOf(b)).toBe(await feedOf(a));
    expect(await feedOf(b)).not.toBe('"0"');
    expect(b.app.tokens.isRevoked(decodeJwt(tokens.access_token) as { sub: string; iat: number; sid: string })).toBe(true);
  });
});
