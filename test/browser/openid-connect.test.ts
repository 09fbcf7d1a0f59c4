import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import type { TestApp } from '../support/app.js';
import { introspect } from '../support/oauth.js';
import { freePort } from '../support/process.js';
import { chromiumAvailable, launchChromium, startListeningApp } from '../support/chromium.js';

const available = chromiumAvailable('the OpenID Connect browser test');

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
    // Server DPoP nonces required (RFC 9449 §8): openid-client must pick them up and retry; flows without DPoP never meet them.
    const listening = await startListeningApp({ CLIENTS_FILE: clientsFile, DPOP_NONCE_REQUIRED: 'true' });
    t = listening.t;
    issuer = new URL(listening.base);
    browser = await launchChromium();
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

  /** Signs `email` in at the native app through the browser and answers the callback URL, its PKCE verifier, state and nonce. */
  const nativeSignIn = async (page: Page, native: oidc.Configuration, email: string, extra: Record<string, string> = {}) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    // Registered as http://127.0.0.1/callback: any port matches.
    const loopback = `${rp.origin}/callback`;
    const url = oidc.buildAuthorizationUrl(native, {
      redirect_uri: loopback,
      scope: 'openid email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    await page.goto(url.href);
    expect(await page.title()).toBe('Sign in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\/resume/), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.getByText('See your email address').waitFor();
    const callback = await landOn(page, loopback, () => page.getByRole('button', { name: 'Allow' }).click());
    return { callback, loopback, verifier, state, nonce };
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
    const { callback: nativeCallback, loopback, verifier, state, nonce } = await nativeSignIn(page, native, email);
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
    const reauthenticated = await landOn(page, loopback, () => page.getByRole('button', { name: 'Sign in', exact: true }).click()).catch((error: unknown) => {
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

  it('binds a native app to its DPoP key with openid-client (RFC 9449): code bound by dpop_jkt, code grant, userinfo, /v1/me, refresh; a stolen token or refresh token is useless', async () => {
    const email = uniqueEmail('dpop');
    const { id: userId } = await signUp(t.app, email);
    const context = await browser.newContext();
    const page = await context.newPage();
    const native = await oidc.discovery(issuer, NATIVE, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    expect(native.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    const DPoP = oidc.getDPoPHandle(native, keyPair);

    // The code itself is bound to the key from the start (§10): only a proof by it redeems the code.
    expect(await DPoP.calculateThumbprint()).toBe(jkt);
    const { callback, verifier, state, nonce } = await nativeSignIn(page, native, email, { dpop_jkt: jkt });
    const tokens = await oidc.authorizationCodeGrant(native, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, undefined, { DPoP });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(tokens.claims()).toMatchObject({ sub: userId, aud: NATIVE, nonce });
    expect((await introspect(t.app, tokens.access_token)).json()).toMatchObject({ active: true, cnf: { jkt } });
    expect((await introspect(t.app, tokens.refresh_token!)).json()).toMatchObject({ active: true, cnf: { jkt } });

    expect(await oidc.fetchUserInfo(native, tokens.access_token, userId, { DPoP })).toEqual({ sub: userId, email, email_verified: false });
    const me = await oidc.fetchProtectedResource(native, tokens.access_token, new URL('/v1/me', issuer), 'GET', undefined, undefined, { DPoP });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: userId, email });

    // The access token alone, as a Bearer token (RFC 9449 §7.1): refused, with a DPoP challenge naming the algorithms.
    const asBearer = await fetch(new URL('/oauth/userinfo', issuer), { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP .*algs="[^"]*ES256[^"]*".*error="invalid_token"/);
    // The refresh token without the key, or with another key (§5): refused, and nothing rotates.
    await expect(oidc.refreshTokenGrant(native, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const thief = oidc.getDPoPHandle(native, await oidc.randomDPoPKeyPair('ES256'));
    await expect(oidc.refreshTokenGrant(native, tokens.refresh_token!, undefined, { DPoP: thief })).rejects.toMatchObject({ error: 'invalid_grant' });

    const refreshed = await oidc.refreshTokenGrant(native, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
    expect(refreshed.claims()).toMatchObject({ sub: userId, sid: tokens.claims()!.sid });
    expect(await oidc.fetchUserInfo(native, refreshed.access_token, userId, { DPoP })).toMatchObject({ sub: userId });
    expect(t.specViolations).toEqual([]);
    await context.close();
  }, 60_000);
});
