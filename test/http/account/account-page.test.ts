import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appLogin, Browser, PASSWORD, signUp, uniqueEmail } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { authorizeUrl, decideConsent, hiddenField, pkce, redirectParams } from '../../support/authorize.js';
import { databaseTargets } from '../../support/databases.js';
import { basic, introspect, postForm } from '../../support/oauth.js';
import { expectScriptFreePage } from '../../support/pages.js';

const WEB = { id: 'shop-web', secret: 'demo-shop-web-secret-change-me-0123456789abcdef', redirect: 'http://localhost:4000/callback' };
const NEW_PASSWORD = 'a brand new passphrase 77';
const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const FORM_ROUTES = ['/account/devices/end', '/account/sign-out-everywhere', '/account/password', '/account/consents/revoke'];

describe.each(databaseTargets)('the account page ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target, { env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  /** A browser signed in through the login form, as a person would; it lands on the account page. */
  const signedIn = async (userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36') => {
    const email = uniqueEmail('account');
    const { id } = await signUp(t.app, email);
    const browser = new Browser(t.app, { 'user-agent': userAgent });
    const login = await browser.request({ url: '/login' });
    const posted = await browser.request({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password: PASSWORD, csrf_token: hiddenField(login.body, 'csrf_token') }).toString(),
    });
    expect(posted.statusCode).toBe(303);
    expect(posted.headers.location).toBe('/account');
    return { browser, email, id };
  };

  const accountPage = async (browser: Browser, query = '') => {
    const page = await browser.request({ url: `/account${query}` });
    expect(page.statusCode).toBe(200);
    return page;
  };

  /** Posts one of the page's forms with the page's CSRF token (`csrf_token: undefined` leaves it out). */
  const submit = async (browser: Browser, url: string, fields: Record<string, string | undefined> = {}, headers: Record<string, string> = {}) => {
    const csrf = hiddenField((await accountPage(browser)).body, 'csrf_token');
    const form = Object.entries({ csrf_token: csrf, ...fields }).filter((entry): entry is [string, string] => entry[1] !== undefined);
    // An empty header value leaves that header out (an older browser sends Origin without Sec-Fetch-Site).
    const sent = Object.entries({ 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers }).filter(([, value]) => value !== '');
    return browser.request({ method: 'POST', url, headers: Object.fromEntries(sent), payload: new URLSearchParams(form).toString() });
  };

  const deviceIds = async (browser: Browser) => ((await browser.request({ url: '/v1/me/sessions' })).json().sessions as { id: string; current: boolean }[]);

  /** The third-party web app, allowed through consent; answers its access token. */
  const allowWebApp = async (browser: Browser) => {
    const { verifier, challenge } = pkce();
    const consentPage = await browser.request({ url: authorizeUrl({ client_id: WEB.id, redirect_uri: WEB.redirect, scope: 'openid email', code_challenge: challenge, state: 's' }) });
    const code = redirectParams(await decideConsent(browser, consentPage, 'allow')).get('code')!;
    const tokens = await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: WEB.redirect }, { authorization: basic(WEB) });
    expect(tokens.statusCode).toBe(200);
    return tokens.json().access_token as string;
  };

  it('sends a browser without a session to sign in, and back to the page afterwards', async () => {
    const anonymous = await t.app.inject({ url: '/account' });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/login?return_to=/account');
    const post = await t.app.inject({ method: 'POST', url: '/account/sign-out-everywhere', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'csrf_token=x' });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe('/login?return_to=/account');
    // A Bearer token is not a browser: the page is for the session cookie only.
    const { email } = await signUp(t.app);
    const bearer = await t.app.inject({ url: '/account', headers: { authorization: `Bearer ${(await appLogin(t.app, email)).access_token}` } });
    expect(bearer.headers.location).toBe('/login?return_to=/account');
  });

  it('shows the email, its verification state, the devices and the security links, under a strict CSP and never cached', async () => {
    const { browser, email } = await signedIn();
    const page = await accountPage(browser);
    expectScriptFreePage(page);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain(email);
    expect(page.body).toContain('<span class="tag">not verified</span>');
    expect(page.body).not.toContain('<dt>Roles</dt>');
    expect(page.body).toContain('<strong title="Mozilla/5.0');
    expect(page.body).toContain('>Chrome on Linux</strong><span class="tag">This device</span>');
    expect(page.body).toContain('href="/account/security"');
    expect(page.body).toContain('href="/account/passkeys"');
    expect(page.body).toContain('You have not allowed any application.');
    // The signed-in login page leads here.
    expect((await browser.request({ url: '/login' })).body).toContain('<a href="/account">');
  });

  it('shows an admin their roles and a verified address as verified', async () => {
    const { browser, id } = await signedIn();
    await t.app.database.query(`UPDATE users SET roles = ARRAY['user', 'admin'], email_verified_at = now() WHERE id = $1`, [id]);
    const page = await accountPage(browser);
    expect(page.body).toContain('<dt>Roles</dt><dd>user, admin</dd>');
    expect(page.body).toContain('<span class="tag">verified</span>');
  });

  it('escapes a user agent and a flash parameter an attacker chose, and shows only fixed messages', async () => {
    const { browser, email } = await signedIn(XSS);
    await appLogin(t.app, email, PASSWORD, { 'user-agent': `"><svg onload=alert(3)>${XSS}` });
    const page = await accountPage(browser, `?done=${encodeURIComponent(XSS)}`);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).not.toContain('<svg');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&quot;&gt;&lt;svg onload=alert(3)&gt;');
    expect(page.body).not.toContain('role="status"');
    for (const done of ['constructor', '__proto__', 'toString']) expect((await accountPage(browser, `?done=${done}`)).body).not.toContain('role="status"');
    expect((await accountPage(browser, '?done=device_ended')).body).toContain('<p class="notice" role="status">That device is signed out.</p>');
  });

  it('signs another device out, and this browser out when it ends its own session', async () => {
    const { browser, email } = await signedIn();
    const app = await appLogin(t.app, email, PASSWORD, { 'user-agent': 'okhttp/4.12.0' });
    const page = await accountPage(browser);
    expect(page.body).toContain('App: mobile');
    expect(page.body).toContain('aria-label="Sign out okhttp"');
    const other = (await deviceIds(browser)).find((device) => !device.current)!;
    const ended = await submit(browser, '/account/devices/end', { id: other.id });
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/account?done=device_ended');
    expect(ended.headers['cache-control']).toBe('no-store');
    expect((await t.app.inject({ url: '/v1/me/sessions', headers: { authorization: `Bearer ${app.access_token}` } })).statusCode).toBe(401);
    expect((await deviceIds(browser)).map((device) => device.current)).toEqual([true]);

    const again = await submit(browser, '/account/devices/end', { id: other.id });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('That device or application was already signed out.');

    const own = (await deviceIds(browser))[0]!;
    const out = await submit(browser, '/account/devices/end', { id: own.id });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(browser.cookies.has('sid')).toBe(false);
    expect((await browser.request({ url: '/account' })).headers.location).toBe('/login?return_to=/account');
  });

  it('signs out everywhere: every session and app login ends, this browser lands on the login page', async () => {
    const { browser, email } = await signedIn();
    const app = await appLogin(t.app, email);
    const second = new Browser(t.app);
    await second.signIn(email);
    const out = await submit(browser, '/account/sign-out-everywhere');
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(browser.cookies.has('sid')).toBe(false);
    expect((await second.request({ url: '/v1/me' })).statusCode).toBe(401);
    expect((await introspect(t.app, app.refresh_token)).json()).toEqual({ active: false });
  });

  it('changes the password and keeps this browser signed in under a new session; the other logins end', async () => {
    const { browser, email } = await signedIn();
    const app = await appLogin(t.app, email);
    const before = browser.cookies.get('sid')!;
    const changed = await submit(browser, '/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(changed.statusCode).toBe(303);
    expect(changed.headers.location).toBe('/account?done=password_changed');
    expect(browser.cookies.get('sid')).not.toBe(before);
    const page = await accountPage(browser, '?done=password_changed');
    expect(page.body).toContain('Your password is changed.');
    expect((await t.app.inject({ url: '/v1/me', headers: { cookie: `sid=${before}` } })).statusCode).toBe(401);
    expect((await introspect(t.app, app.refresh_token)).json()).toEqual({ active: false });
    await appLogin(t.app, email, NEW_PASSWORD);
  });

  it.each([
    ['a wrong current password', { current_password: 'not my password at all', new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, 403, 'The current password is incorrect'],
    ['a weak new password', { current_password: PASSWORD, new_password: 'short', confirm_password: 'short' }, 400, 'The new password must be at least'],
    ['a confirmation that differs', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: `${NEW_PASSWORD}!` }, 400, 'The new password and its confirmation differ'],
    ['a missing field', { current_password: PASSWORD, new_password: NEW_PASSWORD }, 400, 'Part of the form was missing or invalid'],
  ])('refuses a password change with %s on the page itself, changing nothing', async (_case, fields, status, message) => {
    const { browser, email } = await signedIn();
    const response = await submit(browser, '/account/password', fields);
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatch(new RegExp(`<p class="error" role="alert">${message}`));
    expect(response.body).not.toContain(NEW_PASSWORD);
    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(200);
    await appLogin(t.app, email, PASSWORD);
  });

  it('lists an allowed application with its scopes in words, and revokes it with its tokens', async () => {
    const { browser } = await signedIn();
    const accessToken = await allowWebApp(browser);
    const page = await accountPage(browser);
    expect(page.body).toContain(`<strong>${WEB.id}</strong>`);
    expect(page.body).toContain('<li>Know who you are (your account id)</li><li>See your email address</li>');
    expect(page.body).toMatch(/Allowed <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    const revoked = await submit(browser, '/account/consents/revoke', { client_id: WEB.id });
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe('/account?done=consent_revoked');
    expect((await introspect(t.app, accessToken)).json()).toEqual({ active: false });
    expect((await browser.request({ url: '/v1/me/consents' })).json().consents).toEqual([]);
    const gone = await submit(browser, '/account/consents/revoke', { client_id: WEB.id });
    expect(gone.statusCode).toBe(404);
  });

  describe('CSRF', () => {
    /** A user with a second device and an allowed app: what every refused form would otherwise change. */
    const withEverything = async () => {
      const signed = await signedIn();
      const app = await appLogin(t.app, signed.email);
      const accessToken = await allowWebApp(signed.browser);
      const other = (await deviceIds(signed.browser)).find((device) => !device.current)!;
      const fields: Record<string, Record<string, string>> = {
        '/account/devices/end': { id: other.id },
        '/account/sign-out-everywhere': {},
        '/account/password': { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
        '/account/consents/revoke': { client_id: WEB.id },
      };
      const unchanged = async () => {
        expect((await signed.browser.request({ url: '/v1/me' })).statusCode).toBe(200);
        expect((await introspect(t.app, app.refresh_token)).json()).toMatchObject({ active: true });
        expect((await introspect(t.app, accessToken)).json()).toMatchObject({ active: true });
        await appLogin(t.app, signed.email, PASSWORD);
      };
      return { ...signed, fields, unchanged };
    };

    it.each(FORM_ROUTES)('refuses %s without the csrf_token or with a wrong one: a 403 page, nothing changed', async (url) => {
      const { browser, fields, unchanged } = await withEverything();
      for (const csrf of [undefined, 'wrong', '']) {
        const response = await submit(browser, url, { ...fields[url], csrf_token: csrf });
        expect(response.statusCode).toBe(403);
        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(response.body).toContain('<p class="error" role="alert">This form expired or came from another site');
      }
      await unchanged();
    });

    it.each(FORM_ROUTES)('refuses %s from another site even with the right token', async (url) => {
      const { browser, fields, unchanged } = await withEverything();
      for (const headers of [{ origin: 'https://evil.example', 'sec-fetch-site': '' }, { origin: 'null', 'sec-fetch-site': '' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
        const response = await submit(browser, url, fields[url], headers);
        expect(response.statusCode).toBe(403);
      }
      await unchanged();
    });
  });
});
