import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { appLogin, Browser, PASSWORD, sameOriginForm, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { hiddenField } from '../../support/authorize.js';
import { databaseTargets } from '../../support/databases.js';
import { dpopKey } from '../../support/dpop.js';
import { enrolTotp, totpCode } from '../../support/mfa.js';

describe.each(databaseTargets)('the MFA login step ($name)', (target) => {
  const clock = new ManualClock();
  let t: TestApp;
  const secrets: string[] = [];
  beforeAll(async () => {
    t = await startTestApp(target, { clock, env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000', LOGIN_MAX_FAILURES: '4' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    // No TOTP secret, code, recovery code or mfa_token ever reaches the log.
    for (const secret of secrets) expect(t.logText()).not.toContain(secret);
    await t.close();
  });

  /** An account with TOTP; the clock moves two steps past the confirming code's step, so a step back is still unused. */
  const enrolled = async () => {
    const { id, email } = await signUp(t.app);
    const { access_token } = await appLogin(t.app, email);
    const { secret, recoveryCodes } = await enrolTotp(t.app, access_token, clock);
    secrets.push(secret, ...recoveryCodes);
    clock.advance(60);
    return { id, email, secret, recoveryCodes };
  };
  const passwordStep = async (email: string) => {
    const response = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'mobile' } });
    expect(response.statusCode).toBe(401);
    const body = response.json();
    expect(body).toMatchObject({ type: 'urn:identity-service:problem:mfa_required', methods: ['totp', 'recovery_codes'], expires_in: 300 });
    expect(body.access_token).toBeUndefined();
    secrets.push(body.mfa_token);
    return body.mfa_token as string;
  };
  const mfaStep = (mfaToken: string, code: string) => t.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', payload: { mfa_token: mfaToken, code } });

  it('app login: the password earns an mfa_token, and a TOTP code the tokens, with amr pwd+otp', async () => {
    const { id, email, secret } = await enrolled();
    const mfaToken = await passwordStep(email);
    const code = totpCode(secret, clock);
    secrets.push(code);
    const done = await mfaStep(mfaToken, code);
    expect(done.statusCode).toBe(200);
    expect(done.headers['cache-control']).toBe('no-store');
    const tokens = done.json();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: id, amr: ['pwd', 'otp'], client_id: 'mobile' });
    // Refreshed access tokens keep the login's methods.
    const refreshed = await t.app.inject({ method: 'POST', url: '/oauth/token', payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'mobile' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(decodeJwt(refreshed.json().access_token).amr).toEqual(['pwd', 'otp']);
    // Single use: the token is spent, whatever the code.
    clock.advance(30);
    expect((await mfaStep(mfaToken, totpCode(secret, clock))).json().type).toBe('urn:identity-service:problem:mfa_expired');
  });

  it('binds the mfa_token to the DPoP key of the password step: only a proof by that key finishes it', async () => {
    const { email, secret } = await enrolled();
    const key = await dpopKey();
    // Dated by the app's clock, which runs in 2030.
    const iat = () => Math.floor(clock.now().getTime() / 1000);
    const proof = (path: string) => key.proof({ htm: 'POST', htu: `${t.config.issuer}${path}`, iat: iat() });
    const started = await t.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { dpop: await proof('/v1/auth/login') }, payload: { email, password: PASSWORD, client_id: 'mobile' } });
    expect(started.statusCode).toBe(401);
    const { mfa_token: mfaToken } = started.json();
    secrets.push(mfaToken);
    const code = totpCode(secret, clock);
    expect((await mfaStep(mfaToken, code)).json().type).toBe('urn:identity-service:problem:invalid_dpop_proof');
    const other = await (await dpopKey()).proof({ htm: 'POST', htu: `${t.config.issuer}/v1/auth/login/mfa`, iat: iat() });
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', headers: { dpop: other }, payload: { mfa_token: mfaToken, code } })).statusCode).toBe(400);
    const done = await t.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', headers: { dpop: await proof('/v1/auth/login/mfa') }, payload: { mfa_token: mfaToken, code } });
    expect(done.statusCode).toBe(200);
    expect(done.json().token_type).toBe('DPoP');
    expect(decodeJwt(done.json().access_token)).toMatchObject({ cnf: { jkt: key.jkt }, amr: ['pwd', 'otp'] });
  });

  it('a password-only account signs in at once, with amr pwd', async () => {
    const { email } = await signUp(t.app);
    expect(decodeJwt((await appLogin(t.app, email)).access_token).amr).toEqual(['pwd']);
  });

  it('refuses a wrong code, a replayed code of the same step, and codes two steps away; accepts one step of drift', async () => {
    const { email, secret } = await enrolled();
    const mfaToken = await passwordStep(email);
    const wrong = await mfaStep(mfaToken, String((Number(totpCode(secret, clock)) + 1) % 1_000_000).padStart(6, '0'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('urn:identity-service:problem:invalid_mfa_code');
    for (const steps of [-2, 2]) expect((await mfaStep(mfaToken, totpCode(secret, clock, steps))).statusCode).toBe(401);
    expect((await mfaStep(mfaToken, totpCode(secret, clock, -1))).statusCode).toBe(200);

    // The same step again, within the window, from a new login: refused (RFC 6238 §5.2).
    const again = await passwordStep(email);
    expect((await mfaStep(again, totpCode(secret, clock, -1))).statusCode).toBe(401);
    // And an earlier step than the one accepted, too.
    expect((await mfaStep(again, totpCode(secret, clock, -2))).statusCode).toBe(401);
    expect((await mfaStep(again, totpCode(secret, clock))).statusCode).toBe(200);
  });

  it('accepts each recovery code once, in any case and with or without dashes', async () => {
    const { email, recoveryCodes } = await enrolled();
    const [first, second] = recoveryCodes as [string, string];
    expect((await mfaStep(await passwordStep(email), first.toUpperCase().replaceAll('-', ' '))).statusCode).toBe(200);
    expect((await mfaStep(await passwordStep(email), first)).statusCode).toBe(401);
    const done = await mfaStep(await passwordStep(email), second);
    expect(decodeJwt(done.json().access_token).amr).toEqual(['pwd', 'otp']);
  });

  it('counts wrong codes in the account lockout, which then refuses even the right code and the password', async () => {
    const { email, secret } = await enrolled();
    const mfaToken = await passwordStep(email);
    for (let i = 0; i < 4; i++) expect((await mfaStep(mfaToken, '000000')).statusCode).toBe(401);
    // Locked (LOGIN_MAX_FAILURES=4): the right code answers like a wrong one, and after it the step is dead (5 failures).
    expect((await mfaStep(mfaToken, totpCode(secret, clock))).json().type).toBe('urn:identity-service:problem:invalid_mfa_code');
    expect((await mfaStep(mfaToken, totpCode(secret, clock))).json().type).toBe('urn:identity-service:problem:mfa_expired');
    const locked = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'mobile' } });
    expect(locked.json().type).toBe('urn:identity-service:problem:invalid_credentials');
    const events = await t.app.database.query<{ type: string }>("SELECT type FROM audit_events WHERE type IN ('mfa_failed', 'account_locked') AND user_id = (SELECT id FROM users WHERE email = $1)", [email]);
    expect(events.filter((e) => e.type === 'account_locked')).toHaveLength(1);
    clock.advance(t.config.login.lockoutSeconds + 1);
    expect((await mfaStep(await passwordStep(email), totpCode(secret, clock))).statusCode).toBe(200);
  });

  it('expires the pending step after five minutes', async () => {
    const { email, secret } = await enrolled();
    const mfaToken = await passwordStep(email);
    clock.advance(301);
    expect((await mfaStep(mfaToken, totpCode(secret, clock))).json().type).toBe('urn:identity-service:problem:mfa_expired');
  });

  it('browser JSON: the password does not sign in; the code does, under a fresh session id, with amr in GET /v1/session', async () => {
    const { email, secret } = await enrolled();
    const browser = new Browser(t.app);
    const password = await browser.request({ method: 'POST', url: '/v1/session', payload: { email, password: PASSWORD } });
    expect(password.statusCode).toBe(401);
    expect(password.json()).toMatchObject({ type: 'urn:identity-service:problem:mfa_required', methods: ['totp', 'recovery_codes'] });
    expect(password.json().mfa_token).toBeUndefined();
    const pendingId = browser.cookies.get('sid');
    expect(pendingId).toBeDefined();
    expect((await browser.request({ method: 'GET', url: '/v1/session' })).statusCode).toBe(401);
    expect((await browser.request({ method: 'GET', url: '/v1/me' })).statusCode).toBe(401);

    const wrong = await browser.request({ method: 'POST', url: '/v1/session/mfa', payload: { code: '000000' } });
    expect(wrong.json().type).toBe('urn:identity-service:problem:invalid_mfa_code');
    const done = await browser.request({ method: 'POST', url: '/v1/session/mfa', payload: { code: totpCode(secret, clock) } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ user: { email }, amr: ['pwd', 'otp'], auth_time: Math.floor(clock.now().getTime() / 1000) });
    expect(browser.cookies.get('sid')).not.toBe(pendingId);
    const session = await browser.request({ method: 'GET', url: '/v1/session' });
    expect(session.json()).toMatchObject({ amr: ['pwd', 'otp'] });
  });

  it('browser form: the login form goes on to /login/mfa, keeping return_to, whose form signs in and returns', async () => {
    const { email, secret } = await enrolled();
    const browser = new Browser(t.app);
    const loginPage = await browser.request({ method: 'GET', url: '/login?return_to=%2Foauth%2Fsomewhere' });
    const posted = await browser.request({ method: 'POST', url: '/v1/session', ...sameOriginForm({ email, password: PASSWORD, csrf_token: hiddenField(loginPage.body, 'csrf_token'), return_to: '/oauth/somewhere' }) });
    expect(posted.statusCode).toBe(303);
    expect(posted.headers.location).toBe('/login/mfa?return_to=%2Foauth%2Fsomewhere');
    const pendingId = browser.cookies.get('sid');

    const page = await browser.request({ method: 'GET', url: posted.headers.location as string });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(loginPage.headers['content-security-policy']);
    expect(page.body).toContain('name="code"');
    expect(hiddenField(page.body, 'return_to')).toBe('/oauth/somewhere');
    // A form post without the pre-login session's CSRF token is refused.
    expect((await browser.request({ method: 'POST', url: '/v1/session/mfa', ...sameOriginForm({ code: totpCode(secret, clock), csrf_token: 'forged' }) })).statusCode).toBe(403);
    const wrong = await browser.request({ method: 'POST', url: '/v1/session/mfa', ...sameOriginForm({ code: '000000', csrf_token: hiddenField(page.body, 'csrf_token'), return_to: '/oauth/somewhere' }) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('The code is incorrect');

    const done = await browser.request({ method: 'POST', url: '/v1/session/mfa', ...sameOriginForm({ code: totpCode(secret, clock), csrf_token: hiddenField(wrong.body, 'csrf_token'), return_to: '/oauth/somewhere' }) });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/oauth/somewhere');
    expect(browser.cookies.get('sid')).not.toBe(pendingId);
    expect((await browser.request({ method: 'GET', url: '/v1/session' })).json()).toMatchObject({ user: { email }, amr: ['pwd', 'otp'] });
  });

  it('the code page without a pending step sends the browser back to the login page', async () => {
    const response = await new Browser(t.app).request({ method: 'GET', url: '/login/mfa?return_to=%2Fsomewhere' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?return_to=%2Fsomewhere');
  });
});
