import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { embeddedTarget } from '../support/databases.js';
import { freePort } from '../support/process.js';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.log(`${CHROMIUM} is missing (Debian package chromium; scripts/ci-setup.sh installs it): the browser test is skipped`);

describe.skipIf(!available)('signing in from a real browser (headless Chromium)', () => {
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let database: Awaited<ReturnType<typeof embeddedTarget.create>>;

  beforeAll(async () => {
    database = await embeddedTarget.create();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The issuer is the origin the browser sees, as in production.
    app = await buildApp(loadConfig({ ...database.env, LOG_LEVEL: 'silent', PORT: String(port), ISSUER: base }));
    await app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
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
    await Promise.all([page.waitForURL(`${base}/login`), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.getByText(`You are signed in as ${email}`).waitFor();
    await context.close();
  });
});
