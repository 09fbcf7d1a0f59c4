import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { appLogin, Browser, PASSWORD, signUp, uniqueEmail } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets } from '../../support/databases.js';
import { postForm } from '../../support/oauth.js';
import { adminOf, claimsOf, type AdminSeat } from '../../support/admin.js';
import { enrolTotp } from '../../support/mfa.js';

const REAUTH_REQUIRED = 'urn:identity-service:problem:reauthentication_required';

describe.each(databaseTargets)('user administration ($name)', (target) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    // Many logins from one test client: the rate limits have their own suite. A long idle timeout, so the
    // absolute lifetimes are what ends sessions here.
    t = await startTestApp(target, { clock, env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000', SESSION_IDLE_SECONDS: '86400' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => t.app.inject({ url: '/v1/me', headers: bearer(token) });
  const refresh = (refreshToken: string) => postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile' });
  const admin = () => adminOf(t.app);
  /** A user signed in twice: an app login and a browser session. */
  async function signedInUser() {
    const user = await signUp(t.app);
    const tokens = await appLogin(t.app, user.email);
    const browser = new Browser(t.app);
    await browser.signIn(user.email);
    return { ...user, tokens, browser };
  }
  /** An access token not expired is refused at once, the refresh token is dead, and so is the browser session. */
  async function expectSignedOut(user: Awaited<ReturnType<typeof signedInUser>>) {
    expect((await me(user.tokens.access_token)).statusCode).toBe(401);
    expect((await refresh(user.tokens.refresh_token)).json().error).toBe('invalid_grant');
    expect((await user.browser.request({ url: '/v1/me' })).statusCode).toBe(401);
  }
  /** An admin action through the admin's browser session (cookie and CSRF token). */
  const act = (boss: AdminSeat, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string) =>
    boss.browser.request({ method, url, headers: method === 'GET' ? {} : { 'x-csrf-token': boss.csrf } });

  it('refuses users without the admin role (403) and anonymous callers (401) on every route', async () => {
    const victim = await signUp(t.app);
    const user = await signUp(t.app);
    const { access_token } = await appLogin(t.app, user.email);
    const routes: ['GET' | 'POST' | 'PUT' | 'DELETE', string][] = [
      ['GET', '/v1/admin/users'],
      ['GET', `/v1/admin/users/${victim.id}`],
      ['GET', `/v1/admin/users/${victim.id}/audit`],
      ['POST', `/v1/admin/users/${victim.id}/disable`],
      ['POST', `/v1/admin/users/${victim.id}/enable`],
      ['POST', `/v1/admin/users/${victim.id}/logout`],
      ['PUT', `/v1/admin/users/${victim.id}/roles/admin`],
      ['DELETE', `/v1/admin/users/${victim.id}/roles/user`],
      ['POST', `/v1/admin/users/${victim.id}/mfa/reset`],
    ];
    for (const [method, url] of routes) {
      expect((await t.app.inject({ method, url })).statusCode, `${method} ${url}`).toBe(401);
      const refused = await t.app.inject({ method, url, headers: bearer(access_token) });
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json().type).toBe('urn:identity-service:problem:forbidden');
    }
    expect((await me(access_token)).json().roles).toEqual(['user']);
  });

  it('lists and searches users in pages without duplicates or gaps; refuses forged cursors', async () => {
    const boss = await admin();
    const tag = `page${randomBytes(4).toString('hex')}`;
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await signUp(t.app, uniqueEmail(tag)));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/admin/users?email=${tag.toUpperCase()}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await act(boss, 'GET', url);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { users: { id: string; email: string; disabled: boolean; locked: boolean; email_verified: boolean }[]; next_cursor: string | null };
      expect(body.users.length).toBeLessThanOrEqual(3);
      seen.push(...body.users.map((user) => user.id));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(created.map((user) => user.id)));

    const everyone = (await act(boss, 'GET', '/v1/admin/users?limit=100')).json().users as { id: string; created_at: string }[];
    const order = everyone.map((user) => `${user.created_at} ${user.id}`);
    expect(order).toEqual([...order].sort());

    const admins = (await act(boss, 'GET', '/v1/admin/users?role=admin&limit=100')).json().users as { id: string; roles: string[] }[];
    expect(admins.map((user) => user.id)).toContain(boss.id);
    expect(admins.every((user) => user.roles.includes('admin'))).toBe(true);

    // A percent sign is searched for, not a wildcard.
    expect((await act(boss, 'GET', '/v1/admin/users?email=%25')).json().users).toEqual([]);

    const forged = [
      'not a cursor!',
      Buffer.from('["x"]').toString('base64url'),
      Buffer.from('[1, "not-a-uuid"]').toString('base64url'),
      Buffer.from("[1, \"00000000-0000-4000-8000-000000000000' OR 1=1\"]").toString('base64url'),
      Buffer.from('{"created_at": 1}').toString('base64url'),
      Buffer.from('[-5, "00000000-0000-4000-8000-000000000000"]').toString('base64url'),
    ];
    for (const cursor of forged) {
      const response = await act(boss, 'GET', `/v1/admin/users?cursor=${encodeURIComponent(cursor)}`);
      expect(response.statusCode, cursor).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await act(boss, 'GET', '/v1/admin/users?role=root')).statusCode).toBe(400);
    expect((await act(boss, 'GET', '/v1/admin/users?limit=101')).statusCode).toBe(400);
  });

  it('shows one user with sessions, roles and disabled, verification and lockout state', async () => {
    const boss = await admin();
    const victim = await signUp(t.app);
    await new Browser(t.app, { 'user-agent': 'Laptop/1.0' }).signIn(victim.email);
    await appLogin(t.app, victim.email, PASSWORD, { 'user-agent': 'MobileApp/3.0' });
    await new Browser(t.app).request({ method: 'POST', url: '/v1/session', payload: { email: victim.email, password: 'wrong password, twice over' } });

    const response = await act(boss, 'GET', `/v1/admin/users/${victim.id}`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toMatchObject({
      id: victim.id,
      email: victim.email,
      roles: ['user'],
      disabled: false,
      disabled_at: null,
      email_verified: false,
      locked: false,
      locked_until: null,
      failed_login_count: 1,
    });
    expect(body.sessions.map((device: { kind: string; user_agent: string; current: boolean }) => [device.kind, device.user_agent, device.current]).sort()).toEqual([
      ['browser', 'Laptop/1.0', false],
      ['token', 'MobileApp/3.0', false],
    ]);
    expect((await act(boss, 'GET', '/v1/admin/users/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await act(boss, 'GET', '/v1/admin/users/not-a-uuid')).statusCode).toBe(400);
  });

  it('disable ends every login at once and refuses sign-in like wrong credentials; enable lets the user back in', async () => {
    const boss = await admin();
    const victim = await signedInUser();
    expect((await me(victim.tokens.access_token)).statusCode).toBe(200);

    const disabled = await act(boss, 'POST', `/v1/admin/users/${victim.id}/disable`);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toEqual({ browser_sessions: 1, token_families: 1 });
    await expectSignedOut(victim);
    const login = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: victim.email, password: PASSWORD, client_id: 'mobile' } });
    const wrong = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: uniqueEmail(), password: PASSWORD, client_id: 'mobile' } });
    expect(login.statusCode).toBe(401);
    expect(login.json()).toEqual(wrong.json());
    expect(login.json().type).toBe('urn:identity-service:problem:invalid_credentials');
    expect((await act(boss, 'GET', `/v1/admin/users/${victim.id}`)).json().user).toMatchObject({ disabled: true, disabled_at: clock.now().toISOString() });
    expect((await act(boss, 'GET', '/v1/admin/users?disabled=true&limit=100')).json().users.map((user: { id: string }) => user.id)).toContain(victim.id);

    // Access tokens issued up to the disabling second are refused for good; a new login is a second later.
    clock.advance(1);
    const enabled = await act(boss, 'POST', `/v1/admin/users/${victim.id}/enable`);
    expect(enabled.statusCode).toBe(204);
    const again = await appLogin(t.app, victim.email);
    expect((await me(again.access_token)).statusCode).toBe(200);
    expect((await act(boss, 'GET', `/v1/admin/users/${victim.id}`)).json().user.disabled).toBe(false);
    expect((await act(boss, 'POST', '/v1/admin/users/00000000-0000-4000-8000-000000000000/enable')).statusCode).toBe(404);
  });

  it('force logout ends every session and token family but leaves the account usable', async () => {
    const boss = await admin();
    const victim = await signedInUser();

    const response = await act(boss, 'POST', `/v1/admin/users/${victim.id}/logout`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ browser_sessions: 1, token_families: 1 });
    await expectSignedOut(victim);
    expect((await me((await appLogin(t.app, victim.email)).access_token)).statusCode).toBe(200);
  });

  it('grants and removes roles idempotently; a change revokes the old tokens and the next ones carry the new roles', async () => {
    const boss = await admin();
    const user = await signUp(t.app);
    const before = await appLogin(t.app, user.email);
    expect(claimsOf(before.access_token).roles).toEqual(['user']);

    const granted = await act(boss, 'PUT', `/v1/admin/users/${user.id}/roles/admin`);
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toEqual({ roles: ['user', 'admin'], changed: true });
    expect((await act(boss, 'PUT', `/v1/admin/users/${user.id}/roles/admin`)).json()).toEqual({ roles: ['user', 'admin'], changed: false });
    // The token with the old roles does not outlive the change.
    expect((await me(before.access_token)).statusCode).toBe(401);
    expect((await refresh(before.refresh_token)).json().error).toBe('invalid_grant');

    const promoted = await appLogin(t.app, user.email);
    expect(claimsOf(promoted.access_token).roles).toEqual(['user', 'admin']);
    expect((await t.app.inject({ url: '/v1/admin/users?limit=1', headers: bearer(promoted.access_token) })).statusCode).toBe(200);

    const removed = await act(boss, 'DELETE', `/v1/admin/users/${user.id}/roles/admin`);
    expect(removed.json()).toEqual({ roles: ['user'], changed: true });
    expect((await act(boss, 'DELETE', `/v1/admin/users/${user.id}/roles/admin`)).json()).toEqual({ roles: ['user'], changed: false });
    expect((await t.app.inject({ url: '/v1/admin/users?limit=1', headers: bearer(promoted.access_token) })).statusCode).toBe(401);
    expect(claimsOf((await appLogin(t.app, user.email)).access_token).roles).toEqual(['user']);

    const unknown = await act(boss, 'PUT', `/v1/admin/users/${user.id}/roles/root`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toContain('Unknown role');
    expect((await act(boss, 'PUT', '/v1/admin/users/00000000-0000-4000-8000-000000000000/roles/admin')).statusCode).toBe(404);
  });

  it('refuses an admin removing their own admin role or disabling themselves (409), so an admin always remains', async () => {
    const boss = await admin();
    const demote = await act(boss, 'DELETE', `/v1/admin/users/${boss.id}/roles/admin`);
    expect(demote.statusCode).toBe(409);
    expect(demote.json().detail).toContain('your own admin role');
    const disable = await act(boss, 'POST', `/v1/admin/users/${boss.id}/disable`);
    expect(disable.statusCode).toBe(409);
    expect(disable.json().detail).toContain('your own account');
    expect((await act(boss, 'GET', `/v1/admin/users/${boss.id}`)).json().user).toMatchObject({ roles: ['user', 'admin'], disabled: false });
  });

  it("records every action with the acting admin's id, readable page by page", async () => {
    const boss = await admin();
    const victim = await signUp(t.app);
    for (const [method, action] of [
      ['PUT', 'roles/admin'],
      ['DELETE', 'roles/admin'],
      ['POST', 'logout'],
      ['POST', 'disable'],
      ['POST', 'enable'],
    ] as const) {
      expect((await act(boss, method, `/v1/admin/users/${victim.id}/${action}`)).statusCode).toBeLessThan(300);
    }
    const events: { id: string; type: string; detail: Record<string, unknown> }[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: typeof events; next_cursor: string | null } = (
        await act(boss, 'GET', `/v1/admin/users/${victim.id}/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.events.length).toBeLessThanOrEqual(2);
      events.push(...page.events);
      cursor = page.next_cursor;
    } while (cursor);
    expect(events.map((event) => event.type)).toEqual(['user_enabled', 'user_disabled', 'user_revoked', 'role_removed', 'role_granted', 'user_created']);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(events.slice(0, 5).every((event) => event.detail.by === boss.id)).toBe(true);
    expect(events.find((event) => event.type === 'role_granted')?.detail).toMatchObject({ role: 'admin' });
    expect((await act(boss, 'GET', `/v1/admin/users/${victim.id}/audit?cursor=${Buffer.from('["0"]').toString('base64url')}`)).statusCode).toBe(400);
    expect((await act(boss, 'GET', `/v1/admin/users/${victim.id}/audit?cursor=${Buffer.from('[1,"x"]').toString('base64url')}`)).statusCode).toBe(400);
  });

  it("ends an admin's browser session ADMIN_SESSION_ABSOLUTE_SECONDS after sign-in; a user's lasts SESSION_ABSOLUTE_SECONDS", async () => {
    const boss = await admin();
    const user = await signUp(t.app);
    const userBrowser = new Browser(t.app);
    const userSession = await userBrowser.signIn(user.email);
    const bossSession = (await boss.browser.request({ url: '/v1/session' })).json();
    expect(Date.parse(bossSession.expires_at) - Date.parse(bossSession.created_at)).toBe(28_800_000);
    expect(Date.parse(userSession.expires_at) - Date.parse(userSession.created_at)).toBe(43_200_000);

    clock.advance(28_799);
    expect((await boss.browser.request({ url: '/v1/me' })).statusCode).toBe(200);
    clock.advance(2);
    expect((await boss.browser.request({ url: '/v1/me' })).statusCode).toBe(401);
    expect((await userBrowser.request({ url: '/v1/me' })).statusCode).toBe(200);
  });

  it('asks a session for a recent password before sensitive actions, and accepts it for ADMIN_REAUTH_SECONDS', async () => {
    const boss = await admin();
    const victim = await signUp(t.app);
    // Signing in is an authentication too: right after it, no confirmation is asked.
    expect((await act(boss, 'POST', `/v1/admin/users/${victim.id}/logout`)).statusCode).toBe(200);

    clock.advance(301);
    const refused = await act(boss, 'POST', `/v1/admin/users/${victim.id}/disable`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe(REAUTH_REQUIRED);
    // Reading needs no confirmation.
    expect((await act(boss, 'GET', `/v1/admin/users/${victim.id}`)).statusCode).toBe(200);

    const reauth = (password: string, csrf = boss.csrf) => boss.browser.request({ method: 'POST', url: '/v1/session/reauth', headers: { 'x-csrf-token': csrf }, payload: { password } });
    const wrong = await reauth('not the password at all');
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().type).toBe('urn:identity-service:problem:wrong_password');
    expect((await boss.browser.request({ method: 'POST', url: '/v1/session/reauth', payload: { password: PASSWORD } })).statusCode).toBe(403);

    const oldCookie = boss.browser.cookies.get('sid');
    const confirmed = await reauth(PASSWORD);
    expect(confirmed.statusCode).toBe(200);
    const body = confirmed.json();
    expect(Date.parse(body.valid_until) - Date.parse(body.reauthenticated_at)).toBe(300_000);
    // A new session id and CSRF token after the step-up.
    expect(boss.browser.cookies.get('sid')).not.toBe(oldCookie);
    expect(body.csrf_token).not.toBe(boss.csrf);
    boss.csrf = body.csrf_token;
    expect((await act(boss, 'POST', `/v1/admin/users/${victim.id}/disable`)).statusCode).toBe(200);

    clock.advance(301);
    expect((await act(boss, 'POST', `/v1/admin/users/${victim.id}/enable`)).json().type).toBe(REAUTH_REQUIRED);
    expect((await t.app.database.query<{ type: string }>("SELECT type FROM audit_events WHERE user_id = $1 AND type = 'reauthenticated'", [boss.id])).length).toBe(1);
  });

  it('asks a bearer admin for a login at most ADMIN_REAUTH_SECONDS old; refreshing does not renew it', async () => {
    const boss = await admin();
    const victim = await signUp(t.app);
    const headers = { ...bearer(boss.tokens.access_token) };
    expect((await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/logout`, headers })).statusCode).toBe(200);

    clock.advance(301);
    const stale = await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/logout`, headers });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().type).toBe(REAUTH_REQUIRED);
    const refreshed = (await refresh(boss.tokens.refresh_token)).json();
    expect((await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/logout`, headers: bearer(refreshed.access_token) })).statusCode).toBe(403);
    // Listing needs no fresh login.
    expect((await t.app.inject({ url: `/v1/admin/users/${victim.id}`, headers: bearer(refreshed.access_token) })).statusCode).toBe(200);

    const fresh = await appLogin(t.app, boss.email);
    expect((await t.app.inject({ method: 'POST', url: `/v1/admin/users/${victim.id}/logout`, headers: bearer(fresh.access_token) })).statusCode).toBe(200);
  });

  it('shows second factors and resets them: afterwards the password alone signs in', async () => {
    const boss = await admin();
    const user = await signUp(t.app);
    await enrolTotp(t.app, (await appLogin(t.app, user.email)).access_token, clock);
    const passwordOnly = () => t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: PASSWORD, client_id: 'mobile' } });
    expect((await passwordOnly()).json().type).toBe('urn:identity-service:problem:mfa_required');

    const view = (await act(boss, 'GET', `/v1/admin/users/${user.id}`)).json();
    expect(view.factors.map((factor: { kind: string }) => factor.kind).sort()).toEqual(['recovery_codes', 'totp']);
    expect(JSON.stringify(view)).not.toMatch(/secret/i);

    const reset = await act(boss, 'POST', `/v1/admin/users/${user.id}/mfa/reset`);
    expect(reset.statusCode).toBe(200);
    expect(reset.json().removed.map((factor: { kind: string }) => factor.kind).sort()).toEqual(['recovery_codes', 'totp']);
    const signedIn = await passwordOnly();
    expect(signedIn.statusCode).toBe(200);
    expect((await me(signedIn.json().access_token)).json().id).toBe(user.id);
    expect((await act(boss, 'GET', `/v1/admin/users/${user.id}`)).json().factors).toEqual([]);
    const [event] = (await act(boss, 'GET', `/v1/admin/users/${user.id}/audit?limit=10`)).json().events.filter((event: { type: string }) => event.type === 'mfa_reset');
    expect(event.detail).toEqual({ by: boss.id, kinds: expect.stringMatching(/^(totp recovery_codes|recovery_codes totp)$/) });

    // Sensitive: a stale session must confirm the password first.
    clock.advance(301);
    expect((await act(boss, 'POST', `/v1/admin/users/${user.id}/mfa/reset`)).json().type).toBe(REAUTH_REQUIRED);
  });
});
