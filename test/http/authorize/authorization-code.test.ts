import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { Browser, signUp, uniqueEmail } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { authorizeUrl, decideConsent, pkce, redirectParams } from '../../support/authorize.js';
import { databaseTargets } from '../../support/databases.js';
import { basic, introspect, postForm } from '../../support/oauth.js';

// Demo clients: `mobile` first-party public, `shop-app` third-party public (loopback), `shop-web` confidential (Basic only).
const WEB = { id: 'shop-web', secret: 'demo-shop-web-secret-change-me-0123456789abcdef', redirect: 'http://localhost:4000/callback' };
const APP_REDIRECT = 'http://127.0.0.1:51234/callback';

describe.each(databaseTargets)('the authorization-code flow through HTTP on $name', (target) => {
  let t: TestApp;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    t = await startTestApp(target, { clock });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const signedInBrowser = async () => {
    const email = uniqueEmail('authz');
    const { id } = await signUp(t.app, email);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    return { browser, userId: id, email };
  };

  /** Signs the first-party app in through the browser: a code straight away (no consent). */
  const mobileCode = async (browser: Browser, extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const response = await browser.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, scope: 'openid offline_access', code_challenge: challenge, state: 's1', ...extra }) });
    return { params: redirectParams(response), verifier };
  };
  const redeem = (code: string, verifier: string, overrides: Record<string, string> = {}) =>
    postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', client_id: 'mobile', code, code_verifier: verifier, redirect_uri: APP_REDIRECT, ...overrides });

  it('issues a single-use code bound to the client, the redirect URI and the PKCE verifier', async () => {
    const { browser, userId } = await signedInBrowser();
    const { params, verifier } = await mobileCode(browser, { nonce: 'n-1' });
    expect(params.get('state')).toBe('s1');
    expect(params.get('iss')).toBe(t.config.issuer);
    const tokens = await redeem(params.get('code')!, verifier);
    expect(tokens.statusCode).toBe(200);
    expect(tokens.headers['cache-control']).toBe('no-store');
    const body = tokens.json();
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access', expires_in: 900 });
    expect(decodeProtectedHeader(body.id_token)).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const idToken = decodeJwt(body.id_token);
    const access = decodeJwt(body.access_token);
    expect(idToken).toMatchObject({ iss: t.config.issuer, sub: userId, aud: 'mobile', nonce: 'n-1', sid: access.sid, amr: ['pwd'] });
    // No email scope: no email claims.
    expect(idToken.email).toBeUndefined();
    // The login is a device of the user's, beside the browser session that authorized it.
    const devices = (await t.app.inject({ url: '/v1/me/sessions', headers: { authorization: `Bearer ${body.access_token}` } })).json().sessions;
    expect(devices.map((device: { kind: string }) => device.kind).sort()).toEqual(['browser', 'token']);
  });

  it('refuses a wrong verifier, another redirect URI or another client, and the code is spent either way', async () => {
    const { browser } = await signedInBrowser();
    const wrongVerifier = await mobileCode(browser);
    expect((await redeem(wrongVerifier.params.get('code')!, pkce().verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await redeem(wrongVerifier.params.get('code')!, wrongVerifier.verifier)).json()).toMatchObject({ error: 'invalid_grant' });

    const otherUri = await mobileCode(browser);
    expect((await redeem(otherUri.params.get('code')!, otherUri.verifier, { redirect_uri: 'http://127.0.0.1:51235/callback' })).statusCode).toBe(400);
    const otherClient = await mobileCode(browser);
    expect((await redeem(otherClient.params.get('code')!, otherClient.verifier, { client_id: 'shop-app' })).json()).toMatchObject({ error: 'invalid_grant' });
    const noVerifier = await redeem((await mobileCode(browser)).params.get('code')!, '');
    expect(noVerifier.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('revokes what a code issued when it is presented again (RFC 6749 §4.1.2)', async () => {
    const { browser } = await signedInBrowser();
    const { params, verifier } = await mobileCode(browser);
    const first = (await redeem(params.get('code')!, verifier)).json();
    expect((await introspect(t.app, first.access_token)).json().active).toBe(true);
    const replay = await redeem(params.get('code')!, verifier);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await introspect(t.app, first.access_token)).json()).toEqual({ active: false });
    const refresh = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', client_id: 'mobile', refresh_token: first.refresh_token });
    expect(refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('lets a code expire after 60 seconds', async () => {
    const { browser } = await signedInBrowser();
    const { params, verifier } = await mobileCode(browser);
    clock.advance(61);
    expect((await redeem(params.get('code')!, verifier)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('shows an error page, never a redirect, for an unknown client or an unregistered redirect URI', async () => {
    const { browser } = await signedInBrowser();
    const { challenge } = pkce();
    const attempts = [
      { client_id: 'nobody', redirect_uri: WEB.redirect },
      { client_id: WEB.id, redirect_uri: 'https://evil.example/callback' },
      // Prefix-extended and look-alike URIs (RFC 9700 §4.1.3: exact matching only).
      { client_id: WEB.id, redirect_uri: `${WEB.redirect}/evil` },
      { client_id: WEB.id, redirect_uri: `${WEB.redirect}x` },
      { client_id: WEB.id, redirect_uri: `${WEB.redirect}?next=https://evil.example` },
      { client_id: WEB.id, redirect_uri: 'http://localhost:4001/callback' },
      // The loopback port rule covers 127.0.0.1 and [::1] only, never `localhost` (RFC 8252 §8.3).
      { client_id: 'shop-app', redirect_uri: 'http://localhost:51234/callback' },
      { client_id: 'shop-app', redirect_uri: 'http://127.0.0.1:51234/other' },
      // Registered for 127.0.0.1: another loopback literal is another URI.
      { client_id: 'shop-app', redirect_uri: 'http://[::1]:51234/callback' },
      { client_id: 'orders', redirect_uri: WEB.redirect },
    ];
    for (const attempt of attempts) {
      const response = await browser.request({ url: authorizeUrl({ ...attempt, scope: 'openid', code_challenge: challenge }) });
      expect(response.statusCode, attempt.redirect_uri).toBe(400);
      expect(response.headers.location).toBeUndefined();
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
    // Any port on a registered loopback URI, and a private-use scheme, are fine.
    for (const redirect of ['http://127.0.0.1:9/callback', 'http://127.0.0.1:61000/callback', 'com.example.shop:/oauth/callback']) {
      const response = await browser.request({ url: authorizeUrl({ client_id: 'shop-app', redirect_uri: redirect, scope: 'openid', code_challenge: challenge }) });
      expect(response.statusCode, redirect).toBe(200);
    }
  });

  it('refuses plain or missing PKCE, and an unknown response_type, at the redirect URI with state and iss', async () => {
    const { browser } = await signedInBrowser();
    const base = { client_id: 'mobile', redirect_uri: APP_REDIRECT, scope: 'openid', state: 'st' };
    const cases: [Record<string, string>, string][] = [
      [{ code_challenge: pkce().verifier, code_challenge_method: 'plain' }, 'invalid_request'],
      [{}, 'invalid_request'],
      [{ code_challenge: pkce().challenge, response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge: pkce().challenge, scope: 'openid admin' }, 'invalid_scope'],
    ];
    for (const [extra, error] of cases) {
      const params = redirectParams(await browser.request({ url: authorizeUrl({ ...base, ...extra }) }));
      expect(params.get('error')).toBe(error);
      expect(params.get('error_description')).toBeTruthy();
      expect(params.get('state')).toBe('st');
      expect(params.get('iss')).toBe(t.config.issuer);
      expect(params.has('code')).toBe(false);
    }
  });

  it('answers prompt=none without a session with login_required, and sends a browser to the login page and back', async () => {
    const stranger = new Browser(t.app);
    const { challenge } = pkce();
    const silent = redirectParams(await stranger.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, code_challenge: challenge, prompt: 'none', state: 'q' }) }));
    expect(Object.fromEntries(silent)).toMatchObject({ error: 'login_required', state: 'q', iss: t.config.issuer });

    const toLogin = await stranger.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, code_challenge: challenge, login_hint: 'ada@example.com' }) });
    expect(toLogin.statusCode).toBe(303);
    const login = new URL(toLogin.headers.location as string, t.config.issuer);
    expect(login.pathname).toBe('/login');
    const returnTo = login.searchParams.get('return_to')!;
    expect(returnTo).toMatch(/^\/oauth\/authorize\/resume\?request_id=[A-Za-z0-9_-]{43}$/);
    const page = await stranger.request({ url: `${login.pathname}${login.search}` });
    expect(page.body).toContain('value="ada@example.com"');
    expect(page.body).toContain(`name="return_to" value="${returnTo}"`);

    // An unknown or forged request id is an error page.
    const forged = await stranger.request({ url: '/oauth/authorize/resume?request_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(forged.statusCode).toBe(400);
  });

  it('keeps the login return target on this service (no open redirect)', async () => {
    const email = uniqueEmail('redirect');
    await signUp(t.app, email);
    for (const returnTo of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const stranger = new Browser(t.app);
      const page = await stranger.request({ url: `/login?return_to=${encodeURIComponent(returnTo)}` });
      expect(page.body).not.toContain('name="return_to"');
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1]!;
      const posted = await stranger.request({
        method: 'POST',
        url: '/v1/session',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
        payload: new URLSearchParams({ email, password: 'correct horse battery staple 42', csrf_token: csrf, return_to: returnTo }).toString(),
      });
      expect(posted.statusCode).toBe(303);
      expect(posted.headers.location).toBe('/account');
    }
  });

  it('asks a third-party app for consent, remembers it, answers a denial with access_denied, and lets the user revoke it', async () => {
    const { browser, userId, email } = await signedInBrowser();
    const { verifier, challenge } = pkce();
    const ask = (extra: Record<string, string> = {}) =>
      browser.request({ url: authorizeUrl({ client_id: WEB.id, redirect_uri: WEB.redirect, scope: 'openid email', code_challenge: challenge, state: 'w', ...extra }) });

    const denied = await decideConsent(browser, await ask(), 'deny');
    expect(Object.fromEntries(redirectParams(denied))).toMatchObject({ error: 'access_denied', state: 'w', iss: t.config.issuer });
    expect(Object.fromEntries(redirectParams(await ask({ prompt: 'none' })))).toMatchObject({ error: 'consent_required' });

    const consentPage = await ask();
    expect(consentPage.statusCode).toBe(200);
    expect(consentPage.body).toContain('See your email address');
    expect(consentPage.body).toMatch(/<button type="submit" name="decision" value="allow">/);
    expect(consentPage.body).toMatch(/<button type="submit" name="decision" value="deny"/);
    // The page's CSP lets the form's redirect reach the client, and nothing else.
    expect(consentPage.headers['content-security-policy']).toContain("form-action 'self' http://localhost:4000");
    // Without the session's CSRF token the decision is refused.
    const forged = await browser.request({
      method: 'POST',
      url: '/oauth/authorize/decision',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      payload: new URLSearchParams({ request_id: 'x'.repeat(43), decision: 'allow', csrf_token: 'wrong' }).toString(),
    });
    expect(forged.statusCode).toBe(403);

    const allowed = redirectParams(await decideConsent(browser, consentPage, 'allow'));
    const tokens = await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code: allowed.get('code')!, code_verifier: verifier, redirect_uri: WEB.redirect }, { authorization: basic({ id: WEB.id, secret: WEB.secret }) });
    const body = tokens.json();
    expect(tokens.statusCode).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.id_token)).toMatchObject({ email, email_verified: false, aud: WEB.id });
    const userinfo = await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(userinfo.json()).toEqual({ sub: userId, email, email_verified: false });

    // Remembered: the next request goes straight back with a code, even silently.
    expect(redirectParams(await ask({ prompt: 'none' })).has('code')).toBe(true);
    const session = browser;
    const csrf = (await session.request({ url: '/v1/session' })).json().csrf_token as string;
    const listed = await session.request({ url: '/v1/me/consents' });
    expect(listed.json().consents).toEqual([expect.objectContaining({ client_id: WEB.id, scope: 'openid email' })]);
    const revoked = await session.request({ method: 'DELETE', url: `/v1/me/consents/${WEB.id}`, headers: { 'x-csrf-token': csrf } });
    expect(revoked.statusCode).toBe(204);
    expect((await introspect(t.app, body.access_token)).json()).toEqual({ active: false });
    expect((await ask()).statusCode).toBe(200);
    expect((await session.request({ method: 'DELETE', url: `/v1/me/consents/${WEB.id}`, headers: { 'x-csrf-token': csrf } })).statusCode).toBe(404);
  });

  it('enforces the token endpoint auth method registered for the client', async () => {
    const form = { grant_type: 'authorization_code', code: 'x'.repeat(43), code_verifier: pkce().verifier, redirect_uri: WEB.redirect };
    const posted = await postForm(t.app, '/oauth/token', { ...form, client_id: WEB.id, client_secret: WEB.secret });
    expect(posted.statusCode).toBe(401);
    expect(posted.json()).toMatchObject({ error: 'invalid_client' });
    const viaBasic = await postForm(t.app, '/oauth/token', form, { authorization: basic({ id: WEB.id, secret: WEB.secret }) });
    expect(viaBasic.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an ID token where an access token is expected (its typ is not at+jwt)', async () => {
    const { browser } = await signedInBrowser();
    const { params, verifier } = await mobileCode(browser);
    const { id_token: idToken, access_token: accessToken } = (await redeem(params.get('code')!, verifier)).json();
    for (const url of ['/v1/me', '/oauth/userinfo']) {
      const response = await t.app.inject({ url, headers: { authorization: `Bearer ${idToken}` } });
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    expect((await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `Bearer ${accessToken}` } })).statusCode).toBe(200);
  });

  it('ends the logins a browser session authorized when that session signs out', async () => {
    const { browser } = await signedInBrowser();
    const { params, verifier } = await mobileCode(browser);
    const tokens = (await redeem(params.get('code')!, verifier)).json();
    const csrf = (await browser.request({ url: '/v1/session' })).json().csrf_token as string;
    expect((await browser.request({ method: 'DELETE', url: '/v1/session', headers: { 'x-csrf-token': csrf } })).statusCode).toBe(204);
    expect((await introspect(t.app, tokens.access_token)).json()).toEqual({ active: false });
  });

  it('forces a fresh sign-in for prompt=login and an exceeded max_age', async () => {
    const { browser } = await signedInBrowser();
    const { challenge } = pkce();
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      clock.advance(1);
      const response = await browser.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, code_challenge: challenge, ...extra }) });
      expect(response.statusCode).toBe(303);
      expect(new URL(response.headers.location as string, t.config.issuer).searchParams.get('prompt')).toBe('login');
    }
    expect(redirectParams(await browser.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, code_challenge: challenge, max_age: '3600' }) })).has('code')).toBe(true);
  });

  it('publishes the OpenID Connect discovery fields in both metadata documents', async () => {
    for (const url of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = (await t.app.inject(url)).json();
      expect(metadata).toMatchObject({
        authorization_endpoint: `${t.config.issuer}/oauth/authorize`,
        userinfo_endpoint: `${t.config.issuer}/oauth/userinfo`,
        end_session_endpoint: `${t.config.issuer}/oauth/logout`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect(metadata.grant_types_supported).toContain('authorization_code');
      expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'email', 'email_verified', 'auth_time', 'amr']));
    }
  });

  it('refuses a logout redirect that is not registered, and a hint it did not sign', async () => {
    const refused = await t.app.inject({ url: `/oauth/logout?client_id=${WEB.id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}` });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers.location).toBeUndefined();
    const forged = await t.app.inject({ url: '/oauth/logout?id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.statusCode).toBe(400);
    const anonymous = await t.app.inject({ url: '/oauth/logout' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.body).toContain('You are signed out.');
  });
});
