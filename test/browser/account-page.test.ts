import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appLogin, PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import type { TestApp } from '../support/app.js';
import { authorizeUrl, pkce } from '../support/authorize.js';
import { introspect, postForm } from '../support/oauth.js';
import { freePort, PROJECT_ROOT } from '../support/process.js';
import { chromiumAvailable, launchChromium, startListeningApp } from '../support/chromium.js';

const available = chromiumAvailable('the account page browser test');

/** Where each state of the page is photographed (git-ignored; docs/account-page.md says so). */
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'account-page');
const NEW_PASSWORD = 'a brand new passphrase 77';
// A third-party public client of the demo file; its loopback redirect URI matches on any port (RFC 8252 §7.3).
const THIRD_PARTY = 'shop-app';

describe.skipIf(!available)('the account page in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  // The application's own server, where its loopback redirect lands.
  const application = { server: createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('the application')), port: 0 };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    application.port = await freePort();
    await new Promise<void>((resolve) => application.server.listen(application.port, '127.0.0.1', resolve));
    ({ t, base } = await startListeningApp());
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    application.server.close();
  });

  const snapshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const notice = (page: Page) => page.getByRole('status').innerText();

  it('signs in to the account page, ends another device, changes the password, revokes an app and signs out everywhere', async () => {
    const email = uniqueEmail('account');
    await signUp(t.app, email);
    // The second device: the first-party app, signed in with the password.
    const app = await appLogin(t.app, email, PASSWORD, { 'user-agent': 'okhttp/4.12.0' });
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });

    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/account`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(await page.title()).toBe('Your account');
    await page.getByText('not verified').waitFor();
    const devices = page.getByRole('region', { name: 'Devices and sessions' }).getByRole('listitem');
    await expect(devices.count()).resolves.toBe(2);
    await expect(devices.filter({ hasText: 'This device' }).innerText()).resolves.toContain('Headless Chrome on Linux');
    await snapshot(page, '1-signed-in');

    await page.getByRole('button', { name: 'Sign out okhttp' }).click();
    await expect(notice(page)).resolves.toBe('That device is signed out.');
    await expect(devices.count()).resolves.toBe(1);
    expect((await introspect(t.app, app.refresh_token)).json()).toEqual({ active: false });
    await snapshot(page, '2-device-ended');

    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('The current password is incorrect');
    await snapshot(page, '3-wrong-password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(notice(page)).resolves.toContain('Your password is changed.');
    // Still signed in, under the fresh session the change gave this browser.
    await expect(devices.filter({ hasText: 'This device' }).count()).resolves.toBe(1);
    await snapshot(page, '4-password-changed');

    // A third-party app signs in through this browser session and asks for consent.
    const { verifier, challenge } = pkce();
    const callback = `http://127.0.0.1:${application.port}/callback`;
    await page.goto(`${base}${authorizeUrl({ client_id: THIRD_PARTY, redirect_uri: callback, scope: 'openid email', code_challenge: challenge, state: 'st' })}`);
    await page.getByRole('heading', { name: `Allow ${THIRD_PARTY} access?` }).waitFor();
    await Promise.all([page.waitForURL((url) => url.href.startsWith(callback)), page.getByRole('button', { name: 'Allow' }).click()]);
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', client_id: THIRD_PARTY, code, code_verifier: verifier, redirect_uri: callback }, { 'user-agent': 'ShopApp/2.3 (Android 14)' });
    expect(tokens.statusCode).toBe(200);

    await page.goto(`${base}/account`);
    const apps = page.getByRole('region', { name: 'Applications you allowed' });
    await expect(apps.innerText()).resolves.toContain('See your email address');
    await snapshot(page, '5-app-allowed');
    await page.getByRole('button', { name: `Revoke ${THIRD_PARTY}` }).click();
    await expect(notice(page)).resolves.toContain('That application no longer has access');
    await expect(apps.innerText()).resolves.toContain('You have not allowed any application.');
    expect((await introspect(t.app, tokens.json().access_token)).json()).toEqual({ active: false });
    await snapshot(page, '6-app-revoked');

    await Promise.all([page.waitForURL(`${base}/login`), page.getByRole('button', { name: 'Sign out everywhere' }).click()]);
    expect(await page.title()).toBe('Sign in');
    await page.goto(`${base}/account`);
    expect(page.url()).toBe(`${base}/login?return_to=/account`);
    await snapshot(page, '7-signed-out-everywhere');

    expect(cspViolations).toEqual([]);
    expect(t.specViolations).toEqual([]);
    await context.close();
  }, 60_000);
});
