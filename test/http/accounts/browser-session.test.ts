import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { databaseTargets, embeddedTarget } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, Browser, PASSWORD, signUp } from '../../support/accounts.js';
import { expectScriptFreePage } from '../../support/pages.js';

type Cookie = { name: string; value: string; path?: string; httpOnly?: boolean; secure?: boolean; sameSite?: string; maxAge?: number; expires?: Date; domain?: string };

const hiddenCsrf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});
/** The signed cookie value is `<id>.<signature>`; the store keys the SHA-256 of the id. */
const storedHash = (cookieValue: string) => createHash('sha256').update(decodeURIComponent(cookieValue).split('.')[0]!, 'utf8').digest('base64url');

describe.each(databaseTargets)('browser sessions ($name)', (target) => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    // Many logins from one test client: the rate limits have their own suite.
    t = await startTestApp(target, { clock, env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  const secrets: string[] = [];
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    // No session id, cookie or CSRF token ever reaches the log.
    for (const secret of secrets) expect(t.logText()).not.toContain(secret);
    await t.close();
  });

  it('sets an HttpOnly, SameSite=Lax, Path=/ cookie named sid, not Secure, under an http issuer', async () => {
    const { email } = await signUp(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { email, password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    const [cookie] = response.cookies as Cookie[];
    expect(cookie).toMatchObject({ name: 'sid', path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(cookie?.secure).toBeFalsy();
    expect(cookie?.maxAge).toBeUndefined();
    expect(cookie?.domain).toBeUndefined();
    // A signed, 256-bit random id: 43 base64url characters, a dot, the HMAC.
    expect(decodeURIComponent(cookie!.value)).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/_-]+=*$/);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ user: { email, roles: ['user'] }, csrf_token: expect.any(String) });
    secrets.push(decodeURIComponent(cookie!.value).split('.')[0]!, body.csrf_token);
    expect(new Date(body.expires_at).getTime() - new Date(body.created_at).getTime()).toBe(43200 * 1000);
  });

  it('stores only a hash of the session id', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const raw = decodeURIComponent(browser.cookies.get('sid')!).split('.')[0]!;
    const rows = await t.app.database.query<{ id_hash: string; data: unknown }>('SELECT id_hash, data FROM browser_sessions');
    expect(rows.some((row) => row.id_hash === storedHash(browser.cookies.get('sid')!))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(raw);
  });

  it('rejects a tampered cookie signature', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const [id] = decodeURIComponent(browser.cookies.get('sid')!).split('.');
    const forged = await t.app.inject({ url: '/v1/session', headers: { cookie: `sid=${id}.AAAA` } });
    expect(forged.statusCode).toBe(401);
  });

  it('gives the session a new id at login: the pre-login id is dead afterwards', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    const page = await browser.request({ url: '/login' });
    expect(page.statusCode).toBe(200);
    const preLogin = browser.cookies.get('sid')!;
    expect(preLogin).toBeDefined();
    const csrf = hiddenCsrf(page.body)!;

    const login = await browser.request({ method: 'POST', url: '/v1/session', ...form({ email, password: PASSWORD, csrf_token: csrf }) });
    expect(login.statusCode).toBe(303);
    const signedIn = browser.cookies.get('sid')!;
    expect(signedIn).not.toBe(preLogin);

    expect((await browser.request({ url: '/v1/session' })).statusCode).toBe(200);
    const old = await t.app.inject({ url: '/v1/session', headers: { cookie: `sid=${preLogin}` } });
    expect(old.statusCode).toBe(401);
    const [row] = await t.app.database.query<{ n: number }>('SELECT count(*)::int AS n FROM browser_sessions WHERE id_hash = $1', [storedHash(preLogin)]);
    expect(row?.n ?? 0).toBe(0);
  });

  it('never upgrades a session id the browser already had (fixation), even a signed-in one', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const first = browser.cookies.get('sid')!;
    await browser.signIn(email);
    expect(browser.cookies.get('sid')).not.toBe(first);
    expect((await t.app.inject({ url: '/v1/me', headers: { cookie: `sid=${first}` } })).statusCode).toBe(401);
  });

  it('slides the idle deadline on use and ends the session after SESSION_IDLE_SECONDS unused', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    clock.advance(1700);
    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);
    clock.advance(1700);
    // 3400 s after login, but only 1700 s after the last use.
    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);
    clock.advance(1801);
    const expired = await browser.request({ url: '/v1/me' });
    expect(expired.statusCode).toBe(401);
    expect(expired.headers['www-authenticate']).toMatch(/^Bearer realm=/);
  });

  it('ends the session SESSION_ABSOLUTE_SECONDS after login however much it is used', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    for (let elapsed = 0; elapsed + 1500 < 43200; elapsed += 1500) {
      clock.advance(1500);
      expect((await browser.request({ url: '/v1/session' })).statusCode).toBe(200);
    }
    clock.advance(1500);
    expect((await browser.request({ url: '/v1/session' })).statusCode).toBe(401);
  });

  it('answers GET /v1/session with the user, deadlines and CSRF token, never cached', async () => {
    const { id, email } = await signUp(t.app);
    const browser = new Browser(t.app);
    const signedIn = await browser.signIn(email);
    const response = await browser.request({ url: '/v1/session' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ ...signedIn, user: { id, email, roles: ['user'] }, idle_expires_at: expect.any(String) });
  });

  describe('CSRF', () => {
    const origin = () => new URL(t.config.issuer).origin;

    it('refuses a state-changing cookie request without the X-CSRF-Token header, or with a wrong one', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      await browser.signIn(email);
      for (const headers of [{}, { 'x-csrf-token': 'wrong' }] as Record<string, string>[]) {
        const response = await browser.request({ method: 'DELETE', url: '/v1/session', headers });
        expect(response.statusCode).toBe(403);
        expect(response.json().type).toBe('urn:identity-service:problem:csrf_failed');
      }
      expect((await browser.request({ url: '/v1/session' })).statusCode).toBe(200);
    });

    it('refuses cross-site requests even with the right token', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      const { csrf_token } = await browser.signIn(email);
      for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
        const response = await browser.request({ method: 'POST', url: '/v1/me/logout-all', headers: { 'x-csrf-token': csrf_token, ...headers } });
        expect(response.statusCode).toBe(403);
      }
      expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);
    });

    it('accepts the token from the same origin, and logs out', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      const { csrf_token } = await browser.signIn(email);
      const cookie = browser.cookies.get('sid')!;
      const response = await browser.request({
        method: 'DELETE',
        url: '/v1/session',
        headers: { 'x-csrf-token': csrf_token, origin: origin(), 'sec-fetch-site': 'same-origin' },
      });
      expect(response.statusCode).toBe(204);
      expect(browser.cookies.has('sid')).toBe(false);
      expect((await t.app.inject({ url: '/v1/me', headers: { cookie: `sid=${cookie}` } })).statusCode).toBe(401);
    });

    it('needs no CSRF token for Bearer-authenticated requests', async () => {
      const { email } = await signUp(t.app);
      const tokens = await appLogin(t.app, email);
      const response = await t.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.statusCode).toBe(200);
    });

    it('refuses a cross-site login', async () => {
      const { email } = await signUp(t.app);
      const response = await t.app.inject({ method: 'POST', url: '/v1/session', headers: { origin: 'https://evil.example' }, payload: { email, password: PASSWORD } });
      expect(response.statusCode).toBe(403);
      expect(response.cookies).toEqual([]);
    });

    it('refuses a login form post without the pre-login token, showing the form again', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      await browser.request({ url: '/login' });
      const response = await browser.request({ method: 'POST', url: '/v1/session', ...form({ email, password: PASSWORD, csrf_token: 'forged' }) });
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('role="alert"');
      expect(hiddenCsrf(response.body)).toBeDefined();
    });
  });

  describe('login page', () => {
    it('renders an accessible form with no inline script and a strict CSP', async () => {
      const response = await t.app.inject({ url: '/login?return_to=/v1/me' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-');
      // The passkey button's scripts: files from this origin only, each pinned by SRI; nothing inline.
      expect(csp).toContain("script-src 'self'");
      for (const tag of response.body.match(/<script[^>]*>/gi) ?? []) expect(tag).toMatch(/^<script src="\/assets\/[a-z-]+-[0-9a-f]{16}\.js" integrity="sha384-[A-Za-z0-9+/=]+" defer>$/);
      expect(response.body).not.toMatch(/<script>|\son[a-z]+="/i);
      expect(response.body).toContain('<html lang="en">');
      expect(response.body).toContain('<label for="email">');
      expect(response.body).toContain('<label for="password">');
      expect(response.body).toContain('autocomplete="current-password"');
      expect(response.body).toContain('name="return_to" value="/v1/me"');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    });

    it('sends the browser to a same-origin return_to after login, never elsewhere', async () => {
      for (const [returnTo, expected] of [
        ['/v1/me?x=1', '/v1/me?x=1'],
        ['//evil.example/x', '/account'],
        ['https://evil.example/', '/account'],
        ['/\\evil.example', '/account'],
        ['javascript:alert(1)', '/account'],
      ] as const) {
        const { email } = await signUp(t.app);
        const browser = new Browser(t.app);
        const page = await browser.request({ url: '/login' });
        const response = await browser.request({ method: 'POST', url: '/v1/session', ...form({ email, password: PASSWORD, csrf_token: hiddenCsrf(page.body)!, return_to: returnTo }) });
        expect(response.statusCode).toBe(303);
        expect(response.headers.location).toBe(expected);
      }
    });

    it('shows the form again with a message after wrong credentials', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      const page = await browser.request({ url: '/login' });
      const response = await browser.request({ method: 'POST', url: '/v1/session', ...form({ email, password: 'wrong password here', csrf_token: hiddenCsrf(page.body)! }) });
      expect(response.statusCode).toBe(401);
      expect(response.body).toContain('The email or password is incorrect');
      expect(response.body).not.toContain('wrong password here');
      expect(hiddenCsrf(response.body)).toBe(hiddenCsrf(page.body));
    });

    it('sends a signed-in browser straight on to return_to', async () => {
      const { email } = await signUp(t.app);
      const browser = new Browser(t.app);
      await browser.signIn(email);
      const response = await browser.request({ url: '/login?return_to=/v1/me' });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/v1/me');
      const page = await browser.request({ url: '/login' });
      expect(page.body).toContain(email);
    });
  });
});

describe('browser sessions under an https issuer', () => {
  let t: TestApp;
  beforeAll(async () => {
    // X-Forwarded-Proto is believed from the one trusted proxy hop in front of the service.
    t = await startTestApp(embeddedTarget, { env: { ISSUER: 'https://id.example.test', TRUST_PROXY: '1' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('names the cookie __Host-sid and makes it Secure', async () => {
    const { email } = await signUp(t.app);
    // Behind the TLS-terminating proxy, which says so in X-Forwarded-Proto.
    const browser = new Browser(t.app, { 'x-forwarded-proto': 'https' });
    const response = await browser.request({ method: 'POST', url: '/v1/session', payload: { email, password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    const [cookie] = response.cookies as Cookie[];
    expect(cookie).toMatchObject({ name: '__Host-sid', path: '/', httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(cookie?.domain).toBeUndefined();
    expect(String(response.headers['set-cookie'])).toMatch(/^__Host-sid=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(response.headers['strict-transport-security']).toContain('max-age=31536000');
    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);
  });
});
