import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, Browser, PASSWORD, uniqueEmail } from '../../support/accounts.js';
import { postForm } from '../../support/oauth.js';
import { linkToken, TestSmtpServer } from '../../support/smtp.js';

const NEW_PASSWORD = 'a brand new passphrase 2030';
const json = (response: { json(): unknown }) => response.json() as Record<string, unknown>;

describe.each(databaseTargets)('account lifecycle by email, through SMTP ($name)', (target) => {
  const clock = new ManualClock();
  const smtp = new TestSmtpServer();
  /** Every link token mailed during the suite: none may reach the log of an SMTP-configured app. */
  const tokens: string[] = [];
  let t: TestApp;

  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp(target, {
      clock,
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'accounts@example.test',
        SERVICE_NAME: 'Example <ID>',
        EMAIL_VERIFICATION: 'required',
        MAIL_POLL_SECONDS: '1',
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000',
        RATE_LIMIT_EMAIL_PER_MINUTE: '1000',
        RATE_LIMIT_EMAIL_PER_ACCOUNT_PER_HOUR: '1000',
      },
    });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    const logs = t.logText();
    expect(tokens.length).toBeGreaterThan(3);
    for (const token of tokens) expect(logs).not.toContain(token);
    await t.close();
    await smtp.stop();
  });

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload });
  const signUp = (email: string, password = PASSWORD) => post('/v1/users', { email, password });
  const login = (email: string, password = PASSWORD) => post('/v1/auth/login', { email, password, client_id: 'mobile' });
  const refresh = (refreshToken: string) => postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'mobile' });

  /** Posts a form as the browser would. */
  const submit = (browser: Browser, url: string, fields: Record<string, string>) =>
    browser.request({ method: 'POST', url, payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  /** The token of the `nth` (1-based) message to `to`, waiting for it to arrive. */
  async function mailedToken(to: string, nth: number, path: string) {
    const mail = (await smtp.waitFor(to, nth))[nth - 1]!;
    const token = linkToken(mail, path);
    tokens.push(token);
    return token;
  }

  /** userinfo's email_verified for the account (a login with the email scope, made directly: the demo app's client lacks it). */
  async function emailVerifiedClaim(email: string) {
    const [user] = await t.app.database.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
    const login = await t.app.tokens.startLogin({ userId: user!.id, email, roles: ['user'], client: t.app.clients.find('mobile')!, scope: 'openid email' });
    const userinfo = await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `Bearer ${login.access_token}` } });
    return json(userinfo).email_verified;
  }

  async function verifiedAccount() {
    const email = uniqueEmail();
    expect((await signUp(email)).statusCode).toBe(202);
    const token = await mailedToken(email, 1, '/verify-email');
    expect((await post('/v1/email-verification/complete', { token })).statusCode).toBe(204);
    return email;
  }

  it('answers sign-up 202 with the same shape for a new and a taken email; the owner is told, the link works once', async () => {
    const email = uniqueEmail();
    const first = await signUp(email);
    expect(first.statusCode).toBe(202);
    expect(Object.keys(json(first)).sort()).toEqual(['email', 'id']);

    // A correct password of an unconfirmed account: told apart from wrong credentials only with the password.
    const early = await login(email);
    expect(early.statusCode).toBe(403);
    expect(json(early).type).toBe('urn:identity-service:problem:email_not_verified');
    expect((await login(email, 'not the password at all')).statusCode).toBe(401);

    const [verification] = await smtp.waitFor(email, 1);
    expect(verification!.raw).toContain('From: accounts@example.test');
    expect(verification!.text).toContain('Example <ID>');
    // The HTML part escapes the service name.
    expect(verification!.text).toContain('Example &lt;ID&gt;');
    const token = await mailedToken(email, 1, '/verify-email');

    // Opening the link shows a form and spends nothing (mail scanners fetch links).
    const page = await t.app.inject({ url: `/verify-email?token=${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('action="/v1/email-verification/complete"');
    expect((await post('/v1/email-verification/complete', { token })).statusCode).toBe(204);
    const again = await post('/v1/email-verification/complete', { token });
    expect(again.statusCode).toBe(400);
    expect(json(again).type).toBe('urn:identity-service:problem:invalid_link');
    expect((await login(email)).statusCode).toBe(200);

    const taken = await signUp(email, 'another long enough passphrase');
    expect(taken.statusCode).toBe(202);
    expect(Object.keys(json(taken)).sort()).toEqual(['email', 'id']);
    expect(json(taken).id).not.toBe(json(first).id);
    const notice = (await smtp.waitFor(email, 2))[1]!;
    expect(notice.subject).toContain('Someone tried to register with your address');
  });

  it('verifies through the browser page: the form posts with the pre-login CSRF token', async () => {
    const email = uniqueEmail();
    await signUp(email);
    const token = await mailedToken(email, 1, '/verify-email');
    expect(await emailVerifiedClaim(email)).toBe(false);
    const browser = new Browser(t.app, { origin: t.config.issuer });
    const page = await browser.request({ url: `/verify-email?token=${token}` });
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeDefined();
    const forged = await submit(browser, '/v1/email-verification/complete', { token, csrf_token: 'wrong' });
    expect(forged.statusCode).toBe(403);
    const done = await submit(browser, '/v1/email-verification/complete', { token, csrf_token: csrf! });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Email address confirmed');
    expect((await login(email)).statusCode).toBe(200);
    expect(await emailVerifiedClaim(email)).toBe(true);
  });

  it('shows the login form with the reason when an unconfirmed account signs in, and a way to reset the password', async () => {
    const email = uniqueEmail();
    await signUp(email);
    const browser = new Browser(t.app, { origin: t.config.issuer });
    const form = await browser.request({ url: '/login' });
    expect(form.body).toContain('href="/password-reset"');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1]!;
    const refused = await submit(browser, '/v1/session', { email, password: PASSWORD, csrf_token: csrf });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('text/html');
    expect(refused.body).toContain('Confirm your email address first');

    // The reset pages: the request form posts with the pre-login CSRF token and answers a page.
    const resetPage = await browser.request({ url: '/password-reset' });
    const resetCsrf = /name="csrf_token" value="([^"]+)"/.exec(resetPage.body)![1]!;
    const sent = await submit(browser, '/v1/password-reset', { email, csrf_token: resetCsrf });
    expect(sent.statusCode).toBe(202);
    expect(sent.body).toContain('Check your mail');
    const token = await mailedToken(email, 2, '/password-reset/complete');
    const completePage = await browser.request({ url: `/password-reset/complete?token=${token}` });
    const completeCsrf = /name="csrf_token" value="([^"]+)"/.exec(completePage.body)![1]!;
    const weak = await submit(browser, '/v1/password-reset/complete', { token, new_password: 'short', csrf_token: completeCsrf });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain('name="new_password"');
    const done = await submit(browser, '/v1/password-reset/complete', { token, new_password: NEW_PASSWORD, csrf_token: completeCsrf });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Password changed');
    // The reset proved the mailbox: the account may sign in now.
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('resets a password: every old session and refresh token dies, the link works once, a notice is mailed', async () => {
    const email = await verifiedAccount();
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const app = await appLogin(t.app, email);
    // Someone guessing locked the account: the reset clears that too.
    for (let i = 0; i < 5; i++) await login(email, 'a guess that is wrong 1234');
    expect((await login(email)).statusCode).toBe(401);

    const accepted = await post('/v1/password-reset', { email });
    const unknown = await post('/v1/password-reset', { email: uniqueEmail('nobody') });
    expect([accepted.statusCode, unknown.statusCode]).toEqual([202, 202]);
    expect(unknown.body).toBe(accepted.body);
    const token = await mailedToken(email, 2, '/password-reset/complete');
    expect((await t.app.inject({ url: `/password-reset/complete?token=${token}` })).body).toContain('name="new_password"');

    const weak = await post('/v1/password-reset/complete', { token, new_password: 'short' });
    expect(json(weak).type).toBe('urn:identity-service:problem:weak_password');
    expect((await post('/v1/password-reset/complete', { token, new_password: NEW_PASSWORD })).statusCode).toBe(204);

    expect((await browser.request({ url: '/v1/me' })).statusCode).toBe(401);
    expect((await refresh(app.refresh_token)).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${app.access_token}` } })).statusCode).toBe(401);
    expect((await login(email)).statusCode).toBe(401);
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
    expect((await smtp.waitFor(email, 3))[2]!.subject).toContain('Your password was changed');

    const reused = await post('/v1/password-reset/complete', { token, new_password: 'yet another passphrase 2031' });
    expect(reused.statusCode).toBe(400);
    expect(json(reused).type).toBe('urn:identity-service:problem:invalid_link');
    const forged = await post('/v1/password-reset/complete', { token: randomBytes(32).toString('base64url'), new_password: 'yet another passphrase 2031' });
    expect(json(forged).type).toBe('urn:identity-service:problem:invalid_link');
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses an expired reset link and one outdated by a password change, changing nothing', async () => {
    const email = await verifiedAccount();
    await post('/v1/password-reset', { email });
    const expired = await mailedToken(email, 2, '/password-reset/complete');
    clock.advance(1801);
    expect(json(await post('/v1/password-reset/complete', { token: expired, new_password: NEW_PASSWORD })).type).toBe('urn:identity-service:problem:invalid_link');

    await post('/v1/password-reset', { email });
    const outdated = await mailedToken(email, 3, '/password-reset/complete');
    const { access_token } = await appLogin(t.app, email);
    const change = await t.app.inject({ method: 'POST', url: '/v1/me/password', headers: { authorization: `Bearer ${access_token}` }, payload: { current_password: PASSWORD, new_password: NEW_PASSWORD } });
    expect(change.statusCode).toBe(200);
    expect((await smtp.waitFor(email, 4))[3]!.subject).toContain('Your password was changed');
    expect(json(await post('/v1/password-reset/complete', { token: outdated, new_password: 'yet another passphrase 2031' })).type).toBe('urn:identity-service:problem:invalid_link');
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('queues mail while the SMTP server is down and delivers each message exactly once when it is back', async () => {
    const emails = [await verifiedAccount(), await verifiedAccount(), await verifiedAccount()];
    await smtp.stop();
    for (const email of emails) expect((await post('/v1/password-reset', { email })).statusCode).toBe(202);
    // Each message is tried once, fails and waits for its backoff (a claim counts the attempt before the send fails).
    const pending = async () =>
      t.app.database.query<{ attempts: number; last_error: string | null }>(`SELECT attempts, last_error FROM outbox_messages WHERE status = 'pending' AND kind = 'password_reset'`);
    for (let i = 0; i < 100 && (await pending()).some((row) => row.last_error === null); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const failed = await pending();
    expect(failed).toHaveLength(3);
    expect(failed.every((row) => row.attempts >= 1 && row.last_error !== null)).toBe(true);

    await smtp.start();
    clock.advance(10);
    for (const email of emails) await smtp.waitFor(email, 2);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const email of emails) expect(await smtp.waitFor(email, 2)).toHaveLength(2);
    expect(await pending()).toHaveLength(0);
    const kept = await t.app.database.query<{ text_body: string | null; html_body: string | null }>(`SELECT text_body, html_body FROM outbox_messages WHERE status = 'sent'`);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((row) => row.text_body === null && row.html_body === null)).toBe(true);
  });
});
