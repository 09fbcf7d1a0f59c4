import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, Browser, PASSWORD, signUp } from '../../support/accounts.js';
import { introspect, postForm } from '../../support/oauth.js';
import { dpopKey, dpopProof } from '../../support/dpop.js';
import { decodeJwt } from 'jose';
import { adminOf } from '../../support/admin.js';

const NEW_PASSWORD = 'a brand new passphrase 2030';

describe.each(databaseTargets)('devices, password change and admin ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // Many logins from one test client: the rate limits have their own suite.
    t = await startTestApp(target, { env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const refresh = (refreshToken: string) => postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile' });
  const auditTypes = async (userId: string) =>
    (await t.app.database.query<{ type: string }>('SELECT type FROM audit_events WHERE user_id = $1 ORDER BY id', [userId])).map((row) => row.type);

  const admin = () => adminOf(t.app);

  it('lists browser sessions and app logins, marking the current one', async () => {
    const { email } = await signUp(t.app);
    const laptop = new Browser(t.app, { 'user-agent': 'Laptop/1.0' });
    const phone = new Browser(t.app, { 'user-agent': 'Phone/2.0' });
    await laptop.signIn(email);
    await phone.signIn(email);
    const app = await appLogin(t.app, email, PASSWORD, { 'user-agent': 'MobileApp/3.0' });

    const fromLaptop = await laptop.request({ url: '/v1/me/sessions' });
    expect(fromLaptop.statusCode).toBe(200);
    const sessions = fromLaptop.json().sessions as { id: string; kind: string; current: boolean; user_agent: string; client_id: string | null; ip: string }[];
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current).map((s) => s.user_agent)).toEqual(['Laptop/1.0']);
    expect(sessions.find((s) => s.kind === 'token')).toMatchObject({ client_id: 'mobile', user_agent: 'MobileApp/3.0', current: false });
    expect(sessions.filter((s) => s.kind === 'browser').every((s) => s.client_id === null && s.ip === '127.0.0.1')).toBe(true);

    const fromApp = (await t.app.inject({ url: '/v1/me/sessions', headers: bearer(app.access_token) })).json().sessions as typeof sessions;
    expect(fromApp.filter((s) => s.current).map((s) => s.kind)).toEqual(['token']);
    // Never a cookie value or a token in the list.
    const listed = JSON.stringify(fromApp);
    expect(listed).not.toContain(decodeURIComponent(laptop.cookies.get('sid')!).split('.')[0]);
    expect(listed).not.toContain(app.refresh_token);
  });

  it('ends one browser session or one app login at once', async () => {
    const { email } = await signUp(t.app);
    const laptop = new Browser(t.app, { 'user-agent': 'Laptop/1.0' });
    const phone = new Browser(t.app, { 'user-agent': 'Phone/2.0' });
    const { csrf_token } = await laptop.signIn(email);
    await phone.signIn(email);
    const app = await appLogin(t.app, email);
    const sessions = (await laptop.request({ url: '/v1/me/sessions' })).json().sessions as { id: string; kind: string; user_agent: string }[];

    const phoneSession = sessions.find((s) => s.user_agent === 'Phone/2.0')!;
    const ended = await laptop.request({ method: 'DELETE', url: `/v1/me/sessions/${phoneSession.id}`, headers: { 'x-csrf-token': csrf_token } });
    expect(ended.statusCode).toBe(204);
    expect((await phone.request({ url: '/v1/me' })).statusCode).toBe(401);

    const appLogin_ = sessions.find((s) => s.kind === 'token')!;
    expect((await laptop.request({ method: 'DELETE', url: `/v1/me/sessions/${appLogin_.id}`, headers: { 'x-csrf-token': csrf_token } })).statusCode).toBe(204);
    expect((await introspect(t.app, app.access_token)).json()).toEqual({ active: false });
    expect((await refresh(app.refresh_token)).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/v1/me/sessions', headers: bearer(app.access_token) })).statusCode).toBe(401);

    expect((await laptop.request({ method: 'DELETE', url: `/v1/me/sessions/${phoneSession.id}`, headers: { 'x-csrf-token': csrf_token } })).statusCode).toBe(404);
    expect((await laptop.request({ url: '/v1/me' })).statusCode).toBe(200);
  });

  it("cannot end another user's session or login", async () => {
    const alice = await signUp(t.app);
    const bob = await signUp(t.app);
    const bobBrowser = new Browser(t.app);
    await bobBrowser.signIn(bob.email);
    const bobApp = await appLogin(t.app, bob.email);
    const bobSessions = (await bobBrowser.request({ url: '/v1/me/sessions' })).json().sessions as { id: string }[];
    const aliceApp = await appLogin(t.app, alice.email);
    for (const { id } of bobSessions) {
      const response = await t.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${id}`, headers: bearer(aliceApp.access_token) });
      expect(response.statusCode).toBe(404);
    }
    expect((await bobBrowser.request({ url: '/v1/me' })).statusCode).toBe(200);
    expect((await introspect(t.app, bobApp.access_token)).json().active).toBe(true);
  });

  it('logs out everywhere: every session and refresh family, the current one included', async () => {
    const { id, email } = await signUp(t.app);
    const laptop = new Browser(t.app);
    const phone = new Browser(t.app);
    const { csrf_token } = await laptop.signIn(email);
    await phone.signIn(email);
    const app = await appLogin(t.app, email);
    const response = await laptop.request({ method: 'POST', url: '/v1/me/logout-all', headers: { 'x-csrf-token': csrf_token } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ browser_sessions: 2, token_families: 1 });
    expect(laptop.cookies.has('sid')).toBe(false);
    expect((await phone.request({ url: '/v1/me' })).statusCode).toBe(401);
    expect((await introspect(t.app, app.access_token)).json()).toEqual({ active: false });
    expect((await refresh(app.refresh_token)).statusCode).toBe(400);
    expect(await auditTypes(id)).toContain('logout_all');
  });

  it('changes the password: every session and refresh family dies, the caller continues on a fresh session', async () => {
    const { id, email } = await signUp(t.app);
    const laptop = new Browser(t.app);
    const phone = new Browser(t.app);
    const { csrf_token } = await laptop.signIn(email);
    await phone.signIn(email);
    const app = await appLogin(t.app, email);
    const before = laptop.cookies.get('sid')!;

    const response = await laptop.request({
      method: 'POST',
      url: '/v1/me/password',
      headers: { 'x-csrf-token': csrf_token },
      payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ csrf_token: expect.any(String) });
    expect(response.json().csrf_token).not.toBe(csrf_token);

    const after = laptop.cookies.get('sid')!;
    expect(after).not.toBe(before);
    const session = await laptop.request({ url: '/v1/session' });
    expect(session.statusCode).toBe(200);
    expect(session.json().csrf_token).toBe(response.json().csrf_token);
    expect((await t.app.inject({ url: '/v1/me', headers: { cookie: `sid=${before}` } })).statusCode).toBe(401);
    expect((await phone.request({ url: '/v1/me' })).statusCode).toBe(401);
    expect((await refresh(app.refresh_token)).statusCode).toBe(400);
    expect((await introspect(t.app, app.access_token)).json()).toEqual({ active: false });

    const sessions = (await laptop.request({ url: '/v1/me/sessions' })).json().sessions as { current: boolean }[];
    expect(sessions).toEqual([expect.objectContaining({ current: true, kind: 'browser' })]);

    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'mobile' } })).statusCode).toBe(401);
    await appLogin(t.app, email, NEW_PASSWORD);
    expect(await auditTypes(id)).toContain('password_changed');
  });

  it('ends the app login that changes the password through a Bearer token too, and answers a fresh one', async () => {
    const { email } = await signUp(t.app);
    const other = await appLogin(t.app, email);
    const current = await appLogin(t.app, email);
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(current.access_token),
      payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const { tokens } = response.json() as { tokens: { access_token: string; refresh_token: string; scope: string; token_type: string } };
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: current.scope });
    expect((await refresh(other.refresh_token)).statusCode).toBe(400);
    // The caller's own family, taken before the change, is refused; its access token is dead at once.
    expect((await refresh(current.refresh_token)).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/v1/me', headers: bearer(current.access_token) })).statusCode).toBe(401);
    expect((await refresh(tokens.refresh_token)).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) })).statusCode).toBe(200);
  });

  it('binds the fresh login of a DPoP caller to the same key', async () => {
    const { email } = await signUp(t.app);
    const key = await dpopKey();
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { dpop: await key.proof({ htm: 'POST', htu: `${t.config.issuer}/v1/auth/login` }) },
      payload: { email, password: PASSWORD, client_id: 'mobile' },
    });
    const { access_token } = login.json() as { access_token: string };
    const url = `${t.config.issuer}/v1/me/password`;
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { authorization: `DPoP ${access_token}`, dpop: await dpopProof(key, access_token, 'POST', url) },
      payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const { tokens } = response.json() as { tokens: { access_token: string; token_type: string } };
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a wrong current password and a weak new one, changing nothing', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    const { csrf_token } = await browser.signIn(email);
    const change = (payload: object) => browser.request({ method: 'POST', url: '/v1/me/password', headers: { 'x-csrf-token': csrf_token }, payload });
    const wrong = await change({ current_password: 'not my password', new_password: NEW_PASSWORD });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().type).toBe('urn:identity-service:problem:wrong_password');
    const weak = await change({ current_password: PASSWORD, new_password: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toBe('urn:identity-service:problem:weak_password');
    await appLogin(t.app, email, PASSWORD);
  });

  describe('admin', () => {
    it('refuses users without the admin role (403) and anonymous callers (401)', async () => {
      const victim = await signUp(t.app);
      const { email } = await signUp(t.app);
      const tokens = await appLogin(t.app, email);
      for (const action of ['logout', 'disable']) {
        const url = `/v1/admin/users/${victim.id}/${action}`;
        expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
        const forbidden = await t.app.inject({ method: 'POST', url, headers: bearer(tokens.access_token) });
        expect(forbidden.statusCode).toBe(403);
        expect(forbidden.json().type).toBe('urn:identity-service:problem:forbidden');
      }
      await appLogin(t.app, victim.email);
    });

    it('revokes every login of a user', async () => {
      const boss = await admin();
      const victim = await signUp(t.app);
      const browser = new Browser(t.app);
      await browser.signIn(victim.email);
      const tokens = await appLogin(t.app, victim.email);
      const response = await boss.browser.request({ method: 'POST', url: `/v1/admin/users/${victim.id}/logout`, headers: { 'x-csrf-token': boss.csrf } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ browser_sessions: 1, token_families: 1 });
      expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(401);
      expect((await introspect(t.app, tokens.access_token)).json()).toEqual({ active: false });
      // Revoked, not disabled: the user can sign in again.
      await appLogin(t.app, victim.email);
      expect(await auditTypes(victim.id)).toContain('user_revoked');
    });

    it('disables a user: everything revoked, no login, no refresh', async () => {
      const boss = await admin();
      const victim = await signUp(t.app);
      const browser = new Browser(t.app);
      await browser.signIn(victim.email);
      const tokens = await appLogin(t.app, victim.email);
      const response = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/disable`, headers: bearer(boss.tokens.access_token) });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ browser_sessions: 1, token_families: 1 });
      expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(401);
      expect((await refresh(tokens.refresh_token)).statusCode).toBe(400);
      const login = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: victim.email, password: PASSWORD, client_id: 'mobile' } });
      expect(login.statusCode).toBe(401);
      expect(login.json().type).toBe('urn:identity-service:problem:invalid_credentials');
      expect((await new Browser(t.app).request({ method: 'POST', url: '/v1/session', payload: { email: victim.email, password: PASSWORD } })).statusCode).toBe(401);
      expect(await auditTypes(victim.id)).toContain('user_disabled');
    });

    it('answers 404 for an unknown user and 400 for a malformed id', async () => {
      const boss = await admin();
      const headers = bearer(boss.tokens.access_token);
      expect((await t.app.inject({ method: 'POST', url: '/v1/admin/users/00000000-0000-4000-8000-000000000000/disable', headers })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'POST', url: '/v1/admin/users/not-a-uuid/logout', headers })).statusCode).toBe(400);
    });

    it('refuses an admin token whose login was revoked, at once', async () => {
      const boss = await admin();
      const victim = await signUp(t.app);
      await t.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: bearer(boss.tokens.access_token) });
      const response = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/disable`, headers: bearer(boss.tokens.access_token) });
      expect(response.statusCode).toBe(401);
    });
  });
});
