import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { embeddedTarget } from '../support/databases.js';
import { introspect } from '../support/oauth.js';
import { freePort } from '../support/process.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.log(`${CHROMIUM} is missing (Debian package chromium; scripts/ci-setup.sh installs it): the OpenID Connect browser test is skipped`);

// Demo clients (config/clients.demo.json): a native public app and a third-party confidential web app.
const NATIVE = 'shop-app';
const WEB = { id: 'shop-web', secret: 'demo-shop-web-secret-change-me-0123456789abcdef' };

/** The relying party's own server: it records where the browser landed, as its callback route would. */
async function relyingParty(): Promise<{ origin: string; landings: URL[]; server: Server }> {
  const landings: URL[] = [];
  const server = createServer((request, response) => {
    landings.push(new URL(request.url ?? '/', 'http://127.0.0.1'));
    response.writeHead(200, { 'content-type': 'text/plain' }).end('relying party');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, landings, server };
}

/**
 * Off-the-shelf relying parties (openid-client, as Auth.js and many others
 * use it) driving a real browser through login, consent and logout: nothing
 * here builds a protocol request by hand.
 */
describe.skipIf(!available)('OpenID Connect with openid-client and headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let issuer: URL;
  let rp: Awaited<ReturnType<typeof relyingParty>>;
  let webRedirect: string;
  let webAfterLogout: string;

  beforeAll(async () => {
    rp = await relyingParty();
    // The demo clients, with the web app's addresses on the port its server got here.
    webRedirect = `${rp.origin}/web/callback`;
    webAfterLogout = `${rp.origin}/web/`;
    const demo = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../config/clients.demo.json'), 'utf8')) as { clients: Record<string, unknown>[] };
    for (const client of demo.clients) {
      if (client.client_id === WEB.id) Object.assign(client, { redirect_uris: [webRedirect], post_logout_redirect_uris: [webAfterLogout] });
    }
    const clientsFile = path.join(mkdtempSync(path.join(tmpdir(), 'idsvc-oidc-')), 'clients.json');
    writeFileSync(clientsFile, JSON.stringify(demo));
    const port = await freePort();
    issuer = new URL(`http://127.0.0.1:${port}`);
    t = await startTestApp(embeddedTarget, { env: { LOG_LEVEL: 'silent', PORT: String(port), ISSUER: issuer.origin, CLIENTS_FILE: clientsFile } });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rp?.server.close();
  });

  /** What the browser brought to the relying party's redirect URI after `act`. */
  const landOn = async (page: Page, target: string, act: () => Promise<unknown>): Promise<URL> => {
    await Promise.all([page.waitForURL((url) => url.href.startsWith(target)), act()]);
    const landed = new URL(page.url());
    expect(rp.landings.map((url) => url.pathname + url.search)).toContain(landed.pathname + landed.search);
    return landed;
  };

  it('signs a native app in (PKCE, loopback redirect on any port), then a web app, and signs both out', async () => {
    const email = uniqueEmail('oidc');
    const { id: userId } = await signUp(t.app, email);
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });

    // The native app: public client, loopback redirect on a port it picked now (RFC 8252 §7.3).
    const native = await oidc.discovery(issuer, NATIVE, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    // Registered as http://127.0.0.1/callback: any port matches.
    const loopback = `${rp.origin}/callback`;
    const nativeUrl = oidc.buildAuthorizationUrl(native, {
      redirect_uri: loopback,
      scope: 'openid email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    await page.goto(nativeUrl.href);
    expect(await page.title()).toBe('Sign in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\/resume/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByText('See your email address').waitFor();
    const nativeCallback = await landOn(page, loopback, () => page.getByRole('button', { name: 'Allow' }).click());
    expect(nativeCallback.searchParams.get('iss')).toBe(issuer.origin);

    const tokens = await oidc.authorizationCodeGrant(native, nativeCallback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer.origin, sub: userId, aud: NATIVE, nonce, email: email, email_verified: false, amr: ['pwd'] });
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');
    // The clients file gives this app 30-minute access tokens (the service default is 15).
    expect(tokens.expires_in).toBe(1800);
    expect(tokens.refresh_token).toBeDefined();
    expect(await oidc.fetchUserInfo(native, tokens.access_token, userId)).toEqual({ sub: userId, email, email_verified: false });

    const refreshed = await oidc.refreshTokenGrant(native, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: userId, aud: NATIVE, sid: claims.sid, auth_time: claims.auth_time });

    // A first-party app asking for a fresh sign-in (prompt=login): the form again although signed in, no consent page,
    // and the login form's post ends at the app (the redirect chain passes the login page's CSP form-action).
    const firstParty = await oidc.discovery(issuer, 'mobile', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const firstPartyUrl = oidc.buildAuthorizationUrl(firstParty, {
      redirect_uri: loopback,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'login',
    });
    await page.goto(firstPartyUrl.href);
    expect(await page.title()).toBe('Sign in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    const reauthenticated = await landOn(page, loopback, () => page.getByRole('button', { name: 'Sign in' }).click()).catch((error: unknown) => {
      throw new Error(`${String(error)}; CSP: ${cspViolations.join(' | ')}`);
    });
    const firstPartyTokens = await oidc.authorizationCodeGrant(firstParty, reauthenticated, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
    expect(firstPartyTokens.claims()!.auth_time).toBeGreaterThanOrEqual(claims.auth_time!);

    // The web app: confidential (client_secret_basic), same browser session, its own consent.
    const web = await oidc.discovery(issuer, WEB.id, WEB.secret, oidc.ClientSecretBasic(WEB.secret), { execute: [oidc.allowInsecureRequests] });
    const webVerifier = oidc.randomPKCECodeVerifier();
    const webState = oidc.randomState();
    const webUrl = oidc.buildAuthorizationUrl(web, {
      redirect_uri: webRedirect,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(webVerifier),
      code_challenge_method: 'S256',
      state: webState,
    });
    await page.goto(webUrl.href);
    await page.getByRole('heading', { name: `Allow ${WEB.id} access?` }).waitFor();
    const webCallback = await landOn(page, webRedirect, () => page.getByRole('button', { name: 'Allow' }).click());
    const webTokens = await oidc.authorizationCodeGrant(web, webCallback, { pkceCodeVerifier: webVerifier, expectedState: webState, idTokenExpected: true });
    expect(webTokens.claims()).toMatchObject({ sub: userId, aud: WEB.id });
    // No offline_access asked: no refresh token.
    expect(webTokens.refresh_token).toBeUndefined();

    // Consent is remembered: the second sign-in of the web app goes straight back with a code.
    const again = oidc.buildAuthorizationUrl(web, {
      redirect_uri: webRedirect,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(webVerifier),
      code_challenge_method: 'S256',
      state: webState,
    });
    expect((await landOn(page, webRedirect, () => page.goto(again.href))).searchParams.has('code')).toBe(true);

    // RP-initiated logout: back to the registered address with the state; the session and its logins end.
    const logoutUrl = oidc.buildEndSessionUrl(web, { id_token_hint: webTokens.id_token!, post_logout_redirect_uri: webAfterLogout, state: 'bye' });
    const afterLogout = await landOn(page, webAfterLogout, () => page.goto(logoutUrl.href));
    expect(afterLogout.searchParams.get('state')).toBe('bye');
    expect((await context.cookies()).filter((cookie) => cookie.name === 'sid')).toEqual([]);
    expect((await introspect(t.app, webTokens.access_token)).json()).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(native, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(cspViolations).toEqual([]);
    expect(t.specViolations).toEqual([]);
    await context.close();
  }, 60_000);
});
