import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import { chromiumAvailable, launchChromium, startListeningApp } from '../support/chromium.js';
import type { TestApp } from '../support/app.js';
import { PROJECT_ROOT } from '../support/process.js';

const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts', 'passkeys');

const available = chromiumAvailable('the passkeys browser test');

describe.skipIf(!available)('passkeys in a real browser (headless Chromium, DevTools virtual authenticator)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // WebAuthn needs a secure context and an RP ID that is the page's host: http://localhost is both.
    ({ t, base } = await startListeningApp({}, 'localhost'));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  const signOut = async (page: Page) => {
    await page.goto(`${base}/login`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
  };

  it('registers a passkey at /account/passkeys, signs in with it alone, removes it, and is refused with it then', async () => {
    const email = uniqueEmail('passkey');
    const { id } = await signUp(t.app, email);
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to|integrity/i.test(message.text())) violations.push(message.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // Signed out, the page sends the browser to sign in and back.
    await page.goto(`${base}/account/passkeys`);
    await page.waitForURL(`${base}/login?return_to=%2Faccount%2Fpasskeys`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/account/passkeys`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.getByText('You have no passkeys yet.').waitFor();
    await screenshot(page, '1-account-passkeys-empty');

    await page.getByLabel('Name of the new passkey').fill('Virtual authenticator');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Virtual authenticator').waitFor();
    await expect(page.getByText('Device-bound passkey').innerText()).resolves.toContain('never used');
    await screenshot(page, '2-account-passkeys-added');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    await signOut(page);
    await page.goto(`${base}/login?return_to=/account/passkeys`);
    await screenshot(page, '3-login-with-passkey-button');
    // No email, no password: the browser offers the discoverable credential it holds for this site.
    await Promise.all([page.waitForURL(`${base}/account/passkeys`), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
    await page.getByText(`Signed in as ${email}`).waitFor();
    await expect(page.locator('#passkeys li small').innerText()).resolves.toContain('last used');
    await screenshot(page, '4-signed-in-with-passkey');
    expect((await context.cookies()).filter((c) => c.name === 'sid')).toHaveLength(1);
    const me = await page.evaluate(async () => (await fetch('/v1/me')).json());
    expect(me).toEqual({ id, email, roles: ['user'] });
    const amrOfSession = () => page.evaluate(async () => ((await (await fetch('/v1/session')).json()) as { amr: string[] }).amr);
    expect(await amrOfSession()).toEqual(['hwk']);

    // With a passkey, the password alone no longer signs in: /login/mfa offers the passkey as the second step.
    await signOut(page);
    await page.goto(`${base}/login?return_to=/account/passkeys`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/login\/mfa/), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await screenshot(page, '5-second-step-with-passkey');
    await Promise.all([page.waitForURL(`${base}/account/passkeys`), page.getByRole('button', { name: 'Use a passkey' }).click()]);
    expect(await amrOfSession()).toEqual(['pwd', 'hwk']);

    await page.getByRole('button', { name: 'Remove Virtual authenticator' }).click();
    await page.getByText('You have no passkeys yet.').waitFor();
    await screenshot(page, '6-passkey-removed');

    // The authenticator still holds the credential; the service no longer knows it.
    await signOut(page);
    await page.goto(`${base}/login`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').getByText('The passkey was not accepted.').waitFor();
    await screenshot(page, '7-removed-passkey-refused');
    expect(page.url()).toBe(`${base}/login`);
    expect((await page.evaluate(async () => (await fetch('/v1/me')).status))).toBe(401);
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
