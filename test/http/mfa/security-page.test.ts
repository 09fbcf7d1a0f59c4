import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { Browser, sameOriginForm, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { hiddenField } from '../../support/authorize.js';
import { databaseTargets } from '../../support/databases.js';
import { totpCode } from '../../support/mfa.js';

describe.each(databaseTargets)('the account security page ($name)', (target) => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target, { clock });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('sends a browser without a session to sign in, and back', async () => {
    const response = await new Browser(t.app).request({ url: '/account/security' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?return_to=%2Faccount%2Fsecurity');
  });

  it('sets up an authenticator with forms (QR, secret, first code), shows the recovery codes once, regenerates them and removes it', async () => {
    const { email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const off = await browser.request({ url: '/account/security' });
    expect(off.statusCode).toBe(200);
    expect(off.headers['content-security-policy']).toBe((await t.app.inject({ url: '/login' })).headers['content-security-policy']);
    expect(off.body).toContain('is <strong>off</strong>');
    const csrf = hiddenField(off.body, 'csrf_token');

    // A form post without the session's CSRF token is refused.
    expect((await browser.request({ method: 'POST', url: '/account/security/totp', ...sameOriginForm({ csrf_token: 'forged' }) })).statusCode).toBe(403);
    const enrol = await browser.request({ method: 'POST', url: '/account/security/totp', ...sameOriginForm({ csrf_token: csrf }) });
    expect(enrol.statusCode).toBe(200);
    expect(enrol.body).toContain('<svg');
    const secret = /<code id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.body)![1]!.replaceAll(' ', '');

    const wrong = await browser.request({ method: 'POST', url: '/account/security/totp/confirm', ...sameOriginForm({ csrf_token: csrf, code: totpCode(secret, clock, 5) }) });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.body).toContain('The code is incorrect');
    const confirmed = await browser.request({ method: 'POST', url: '/account/security/totp/confirm', ...sameOriginForm({ csrf_token: csrf, code: totpCode(secret, clock) }) });
    expect(confirmed.statusCode).toBe(200);
    const codes = [...confirmed.body.matchAll(/<li><code>([a-z2-9-]+)<\/code><\/li>/g)].map((match) => match[1]!);
    expect(codes).toHaveLength(10);

    const on = await browser.request({ url: '/account/security' });
    expect(on.body).toContain('is <strong>on</strong>');
    expect(on.body).toContain('10 of your recovery codes are unused');
    // Shown once: the page never lists them again.
    expect(on.body).not.toContain(codes[0]);

    const regenerated = await browser.request({ method: 'POST', url: '/account/security/recovery-codes', ...sameOriginForm({ csrf_token: csrf, code: codes[0]! }) });
    expect(regenerated.statusCode).toBe(200);
    expect(regenerated.body).not.toContain(codes[1]);
    clock.advance(30);
    const removed = await browser.request({ method: 'POST', url: '/account/security/totp/remove', ...sameOriginForm({ csrf_token: csrf, code: totpCode(secret, clock) }) });
    expect(removed.statusCode).toBe(200);
    expect(removed.body).toContain('is <strong>off</strong>');
    for (const value of [secret, ...codes]) expect(t.logText()).not.toContain(value);
  });
});
