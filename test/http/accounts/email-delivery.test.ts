import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, embeddedTarget, postgresTarget, TEST_DATABASE_URL } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, PASSWORD, uniqueEmail } from '../../support/accounts.js';
import { TestSmtpServer } from '../../support/smtp.js';

const post = (t: TestApp, url: string, payload: object, ip = '203.0.113.7') => t.app.inject({ method: 'POST', url, payload, remoteAddress: ip });

if (!TEST_DATABASE_URL) console.log('skipping the two-workers suite: it needs PostgreSQL at TEST_DATABASE_URL');

describe.skipIf(!TEST_DATABASE_URL)('two outbox workers on one PostgreSQL', () => {
  const smtp = new TestSmtpServer();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    await smtp.start();
    const env = { SMTP_URL: smtp.url, MAIL_POLL_SECONDS: '1' };
    a = await startTestApp(postgresTarget, { env });
    b = await startTestApp(postgresTarget, { env, replicaOf: a });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await smtp.stop();
  });

  it('sends each message once, whichever replica claims it', async () => {
    const recipient = uniqueEmail('many');
    const count = 40;
    // Written straight into the table, as another replica's commits would be: both workers find them by polling.
    await a.app.database.transaction(async (query) => {
      for (let i = 0; i < count; i++) {
        await query(
          `INSERT INTO outbox_messages (id, kind, recipient, subject, text_body, html_body, next_attempt_at, created_at, give_up_at)
           VALUES ($1, 'password_changed', $2, $3, 'text', '<p>html</p>', now(), now(), now() + interval '1 hour')`,
          [randomUUID(), recipient, `message ${i}`],
        );
      }
    });
    await smtp.waitFor(recipient, count);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const subjects = (await smtp.waitFor(recipient, count)).map((mail) => mail.subject);
    expect(subjects).toHaveLength(count);
    expect(new Set(subjects).size).toBe(count);
    const senders = [...a.logs, ...b.logs].filter((line) => line.msg === 'email sent').length;
    expect(senders).toBe(count);
  });
});

describe.each(databaseTargets)('mail rate limits and the development transport ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target, { env: { RATE_LIMIT_EMAIL_PER_MINUTE: '4', RATE_LIMIT_EMAIL_PER_ACCOUNT_PER_HOUR: '2', MAIL_POLL_SECONDS: '1' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('limits reset requests per address and per client IP (429 with Retry-After)', async () => {
    const email = uniqueEmail();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(t, '/v1/password-reset', { email }, '203.0.113.1')).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    for (let i = 0; i < 4; i++) await post(t, '/v1/password-reset', { email: uniqueEmail() }, '203.0.113.2');
    const perIp = await post(t, '/v1/password-reset', { email: uniqueEmail() }, '203.0.113.2');
    expect(perIp.statusCode).toBe(429);
    expect(Number(perIp.headers['retry-after'])).toBeGreaterThan(0);
    // Completing a link has a budget of its own: a user whose requests were limited can still use the mail they got.
    const link = await post(t, '/v1/password-reset/complete', { token: 'x'.repeat(43), new_password: 'whatever passphrase 2030' }, '203.0.113.2');
    expect(link.statusCode).toBe(400);
  });

  it('without SMTP_URL, logs each message with its link and writes it under DATA_DIR/mail (EMAIL_VERIFICATION=optional: 201)', async () => {
    const email = uniqueEmail('dev');
    const created = await post(t, '/v1/users', { email, password: PASSWORD }, '198.51.100.9');
    expect(created.statusCode).toBe(201);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !line; i++) {
      line = t.logs.find((entry) => (entry.mail as { to?: string } | undefined)?.to === email.trim());
      if (!line) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const mail = line!.mail as { links: string[]; file: string; subject: string };
    expect(mail.subject).toContain('Confirm your email address');
    expect(mail.links[0]).toMatch(new RegExp(`^${t.config.issuer}/verify-email\\?token=[A-Za-z0-9_-]{43}$`));
    expect(mail.file.startsWith(join(t.config.dataDir, 'mail'))).toBe(true);
    expect(readdirSync(join(t.config.dataDir, 'mail')).some((name) => name.endsWith('.eml'))).toBe(true);
    expect(readFileSync(mail.file, 'utf8').toLowerCase()).toContain(`to: ${email.toLowerCase()}`);
    const token = mail.links[0]!.split('token=')[1]!;
    expect((await post(t, '/v1/email-verification/complete', { token }, '198.51.100.9')).statusCode).toBe(204);
  });

  it('resends a confirmation link to a signed-in user, limited per account', async () => {
    const email = uniqueEmail('resend');
    await post(t, '/v1/users', { email, password: PASSWORD }, '198.51.100.10');
    const { access_token } = await appLogin(t.app, email);
    const resend = (ip: string) => t.app.inject({ method: 'POST', url: '/v1/email-verification', headers: { authorization: `Bearer ${access_token}` }, remoteAddress: ip });
    const statuses = [(await resend('198.51.100.11')).statusCode, (await resend('198.51.100.12')).statusCode, (await resend('198.51.100.13')).statusCode];
    expect(statuses).toEqual([202, 202, 429]);
    const mailed = async () => t.logs.filter((entry) => (entry.mail as { to?: string } | undefined)?.to === email).length;
    for (let i = 0; i < 100 && (await mailed()) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await mailed()).toBe(3);
  });
});

describe('EMAIL_VERIFICATION=off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget, { env: { EMAIL_VERIFICATION: 'off' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 201, queues no mail, and a taken email still answers 409', async () => {
    const email = uniqueEmail();
    expect((await post(t, '/v1/users', { email, password: PASSWORD })).statusCode).toBe(201);
    expect((await post(t, '/v1/users', { email, password: PASSWORD })).statusCode).toBe(409);
    expect(await t.app.database.query('SELECT id FROM outbox_messages')).toEqual([]);
  });
});
