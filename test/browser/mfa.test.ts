import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import { chromiumAvailable, launchChromium, startListeningApp } from '../support/chromium.js';
import type { TestApp } from '../support/app.js';
import { totpCode } from '../support/mfa.js';

/** Screenshots of each page, kept as test artifacts (git-ignored). */
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/mfa');

const available = chromiumAvailable('the two-step verification browser test');

describe.skipIf(!available)('two-step verification in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ t, base } = await startListeningApp());
    app = t.app;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const cspViolations = (page: Page) => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return violations;
  };
  const signIn = async (page: Page, email: string, returnTo: string) => {
    await page.goto(`${base}/login?return_to=${encodeURIComponent(returnTo)}`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };

  it('sets up an authenticator on /account/security, then signs in through /login/mfa', async () => {
    const email = uniqueEmail('mfa-browser');
    const { id } = await signUp(app, email);
    const setup = await browser.newContext();
    const page = await setup.newPage();
    const violations = cspViolations(page);

    await signIn(page, email, '/account/security');
    await page.waitForURL(`${base}/account/security`);
    await page.getByText('Two-step verification is off').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, '1-account-security.png'), fullPage: true });

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByText('Scan this code with your authenticator app.').waitFor();
    expect(await page.locator('figure svg').count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, '2-totp-enrolment.png'), fullPage: true });
    const secret = (await page.locator('#totp-secret').innerText()).replaceAll(' ', '');
    await page.getByLabel('Code from the app').fill(totpCode(secret, systemClock));
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.screenshot({ path: path.join(ARTIFACTS, '3-recovery-codes.png'), fullPage: true });
    await setup.close();

    const login = await browser.newContext();
    const second = await login.newPage();
    const loginViolations = cspViolations(second);
    await signIn(second, email, '/v1/me');
    await second.waitForURL(`${base}/login/mfa?return_to=%2Fv1%2Fme`);
    expect(await second.title()).toBe('Two-step verification');
    await second.screenshot({ path: path.join(ARTIFACTS, '4-login-mfa.png'), fullPage: true });
    // The next step's code: the confirming code's step is spent, and one step of drift is accepted.
    await second.getByLabel('Code').fill(totpCode(secret, systemClock, 1));
    await Promise.all([second.waitForURL(`${base}/v1/me`), second.getByRole('button', { name: 'Verify' }).click()]);
    expect(JSON.parse(await second.locator('body').innerText())).toEqual({ id, email, roles: ['user'] });
    expect([...violations, ...loginViolations]).toEqual([]);
    await login.close();
  }, 60_000);
});
