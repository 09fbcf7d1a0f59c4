import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';
import { chromiumAvailable, launchChromium, startListeningApp } from '../support/chromium.js';
import type { TestApp } from '../support/app.js';

const available = chromiumAvailable('the browser test');

describe.skipIf(!available)('signing in from a real browser (headless Chromium)', () => {
  let t: TestApp;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ t, base } = await startListeningApp());
    app = t.app;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('logs in through /login, reads /v1/me, and logs out', async () => {
    const email = uniqueEmail('browser');
    const { id } = await signUp(app, email);
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });

    await page.goto(`${base}/login?return_to=/v1/me`);
    expect(await page.title()).toBe('Sign in');
    // The form is usable by its labels, as assistive technology finds it.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/v1/me`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);

    expect(JSON.parse(await page.locator('body').innerText())).toEqual({ id, email, roles: ['user'] });
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'sid');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    expect(await page.evaluate('document.cookie')).toBe('');

    await page.goto(`${base}/login`);
    await page.getByText(`You are signed in as ${email}`).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect((await context.cookies()).filter((c) => c.name === 'sid')).toEqual([]);

    const after = await page.goto(`${base}/v1/me`);
    expect(after?.status()).toBe(401);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('shows the form again, with the reason, after a wrong password', async () => {
    const email = uniqueEmail('browser');
    await signUp(app, email);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the right password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('The email or password is incorrect');
    // The form keeps working: the right password now signs in.
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${base}/account`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.getByText(email).waitFor();
    await context.close();
  });
});
