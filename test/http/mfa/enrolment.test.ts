import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { appLogin, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets } from '../../support/databases.js';
import { totpCode } from '../../support/mfa.js';

describe.each(databaseTargets)('TOTP enrolment ($name)', (target) => {
  const clock = new ManualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target, { clock });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const signedInUser = async () => {
    const { id, email } = await signUp(t.app);
    const { access_token } = await appLogin(t.app, email);
    return { id, email, headers: { authorization: `Bearer ${access_token}` } };
  };

  it('starts with an otpauth URI, a base32 secret and a QR code, stores the secret only sealed, and confirms with a first code', async () => {
    const { id, email, headers } = await signedInUser();
    const started = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers });
    expect(started.statusCode).toBe(201);
    expect(started.headers['cache-control']).toBe('no-store');
    const { otpauth_uri: uri, secret, qr_code: qr } = started.json();
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe(`/${new URL(t.config.issuer).host}:${email}`);
    expect(parsed.searchParams.get('issuer')).toBe(new URL(t.config.issuer).host);
    expect(parsed.searchParams.get('secret')).toBe(secret);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Buffer.from(qr.replace('data:image/svg+xml;base64,', ''), 'base64').toString()).toContain('<svg');

    const [row] = await t.app.database.query<{ secret_enc: Buffer; confirmed_at: Date | null }>('SELECT secret_enc, confirmed_at FROM totp_factors WHERE user_id = $1', [id]);
    expect(row!.confirmed_at).toBeNull();
    expect(row!.secret_enc.toString('latin1')).not.toContain(secret);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me/mfa', headers })).json()).toMatchObject({ totp: 'pending', factors: [] });

    const wrong = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers, payload: { code: totpCode(secret, clock, 3) } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().type).toBe('urn:identity-service:problem:wrong_mfa_code');

    const confirmed = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers, payload: { code: totpCode(secret, clock) } });
    expect(confirmed.statusCode).toBe(200);
    const codes: string[] = confirmed.json().recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const stored = await t.app.database.query<{ code_hash: string }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [id]);
    expect(stored).toHaveLength(10);
    expect(stored.map((r) => r.code_hash)).not.toContain(codes[0]);

    const status = (await t.app.inject({ method: 'GET', url: '/v1/me/mfa', headers })).json();
    expect(status).toMatchObject({ totp: 'active', recovery_codes_remaining: 10 });
    expect(status.factors.map((f: { kind: string }) => f.kind)).toEqual(['totp', 'recovery_codes']);
    // Active: a second enrolment is refused, so the working secret cannot be swapped silently.
    expect((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers })).statusCode).toBe(409);
    // Nothing secret reached the log.
    for (const value of [secret, totpCode(secret, clock), ...codes]) expect(t.logText()).not.toContain(value);
  });

  it('regenerates recovery codes after a current code, and removes the authenticator after one', async () => {
    const { headers } = await signedInUser();
    const started = (await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers })).json();
    const first = (await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers, payload: { code: totpCode(started.secret, clock) } })).json().recovery_codes;
    // The confirming code's step is spent: the same code cannot regenerate.
    expect((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers, payload: { code: totpCode(started.secret, clock) } })).statusCode).toBe(403);
    const regenerated = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers, payload: { code: first[0].toUpperCase() } });
    expect(regenerated.statusCode).toBe(200);
    const second: string[] = regenerated.json().recovery_codes;
    expect(second.some((code) => first.includes(code))).toBe(false);
    // The old codes are gone.
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/me/mfa/totp', headers, payload: { code: first[1] } })).statusCode).toBe(403);
    clock.advance(30);
    const removed = await t.app.inject({ method: 'DELETE', url: '/v1/me/mfa/totp', headers, payload: { code: totpCode(started.secret, clock) } });
    expect(removed.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me/mfa', headers })).json()).toEqual({ totp: 'none', recovery_codes_remaining: 0, factors: [] });
  });

  it('needs a signed-in caller', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp' })).statusCode).toBe(401);
  });
});
