import argon2 from 'argon2';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, Browser, PASSWORD, signUp, uniqueEmail } from '../../support/accounts.js';

describe.each(databaseTargets)('sign-up and login ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // Many logins from one test client: the rate limits have their own suite.
    t = await startTestApp(target, { env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const post = (url: string, payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload, headers });

  it('creates an account, keeping the email as typed and looking it up case-folded', async () => {
    const typed = `  ${uniqueEmail('Ann')}  `;
    const response = await post('/v1/users', { email: typed, password: PASSWORD });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({ id: expect.any(String), email: typed.trim() });
    const tokens = await appLogin(t.app, typed.trim().toUpperCase());
    const me = await t.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ id: body.id, email: typed.trim(), roles: ['user'] });
  });

  it('answers a Bearer /v1/me from the token offline; a token without the email claim reads the account', async () => {
    const { id, email } = await signUp(t.app);
    const tokens = await appLogin(t.app, email);
    const { email: claimed, ...older } = decodeJwt(tokens.access_token);
    expect(claimed).toBe(email);
    // As a version before the `email` claim signed it.
    const { kid, privateKey } = await t.app.keyRing.signingKey();
    const legacy = await new SignJWT(older).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
    const me = (token: string) => t.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me(legacy)).json()).toEqual({ id, email, roles: ['user'] });

    await t.app.database.query('UPDATE users SET disabled_at = now() WHERE id = $1', [id]);
    // Offline, like every resource server, until the token expires; the lookup sees the account is gone.
    expect((await me(tokens.access_token)).json()).toEqual({ id, email, roles: ['user'] });
    expect((await me(legacy)).statusCode).toBe(401);
  });

  it('stores an argon2id hash at the configured parameters, never the password', async () => {
    const { id } = await signUp(t.app);
    const [row] = await t.app.database.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]);
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(t.logText()).not.toContain(PASSWORD);
  });

  it('upgrades a hash made with older parameters at the next login, transparently', async () => {
    const { id, email } = await signUp(t.app);
    const old = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 12288, timeCost: 3, parallelism: 1 });
    await t.app.database.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, old]);
    await appLogin(t.app, email);
    const [row] = await t.app.database.query<{ password_hash: string; password_changed_at: Date; created_at: Date }>(
      'SELECT password_hash, password_changed_at, created_at FROM users WHERE id = $1',
      [id],
    );
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    // A rehash is not a password change.
    expect(row?.password_changed_at).toEqual(row?.created_at);
    await appLogin(t.app, email);
  });

  it.each([
    ['not an email', 'validation_failed'],
    ['a@b', 'validation_failed'],
    ['two@@example.test', 'validation_failed'],
  ])('refuses the address %j', async (email, code) => {
    const response = await post('/v1/users', { email, password: PASSWORD });
    expect(response.statusCode).toBe(400);
    expect(response.json().type).toBe(`urn:identity-service:problem:${code}`);
  });

  it.each([
    ['short', 'at least 12'],
    ['x'.repeat(1025), 'at most 1024'],
    ['password1234', 'too common'],
    ['aaaaaaaaaaaaaaa', 'too common'],
    ['abcdefghijklmnop', 'too common'],
  ])('refuses a weak password (%#)', async (password, message) => {
    const response = await post('/v1/users', { email: uniqueEmail(), password });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'urn:identity-service:problem:weak_password', detail: expect.stringContaining(message) });
  });

  it('accepts a long passphrase with spaces and any characters, without composition rules', async () => {
    await signUp(t.app, uniqueEmail(), 'ünïcode pässphrase with spaces 🙂');
  });

  it('answers a taken email with a generic 409, whatever the case', async () => {
    const email = uniqueEmail();
    await signUp(t.app, email);
    const response = await post('/v1/users', { email: email.toUpperCase(), password: 'another long passphrase 7' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ type: 'urn:identity-service:problem:conflict' });
    expect(response.body).not.toContain(email);
  });

  it('never grants admin through sign-up', async () => {
    const email = uniqueEmail();
    const response = await post('/v1/users', { email, password: PASSWORD, roles: ['admin'] });
    expect(response.statusCode).toBe(201);
    const tokens = await appLogin(t.app, email);
    const me = await t.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.json().roles).toEqual(['user']);
  });

  it('logs the first-party app in and answers an OAuth token response', async () => {
    const { email } = await signUp(t.app);
    const response = await post('/v1/auth/login', { email, password: PASSWORD, client_id: 'mobile' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 900, access_token: expect.any(String), refresh_token: expect.any(String), scope: 'openid profile offline_access' });
  });

  it('refuses clients that are not first-party public clients', async () => {
    const { email } = await signUp(t.app);
    for (const client_id of ['orders', 'nobody']) {
      const response = await post('/v1/auth/login', { email, password: PASSWORD, client_id });
      expect(response.statusCode).toBe(400);
      expect(response.json().type).toBe('urn:identity-service:problem:unauthorized_client');
    }
  });

  it('answers a wrong password and an unknown email with the same status and body', async () => {
    const { email } = await signUp(t.app);
    const wrong = await post('/v1/auth/login', { email, password: 'not the password at all', client_id: 'mobile' });
    const unknown = await post('/v1/auth/login', { email: uniqueEmail('ghost'), password: 'not the password at all', client_id: 'mobile' });
    const malformed = await post('/v1/auth/login', { email: 'not-an-email', password: 'not the password at all', client_id: 'mobile' });
    for (const response of [wrong, unknown, malformed]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(wrong.json());
    }
    const browser = new Browser(t.app);
    const viaSession = await browser.request({ method: 'POST', url: '/v1/session', payload: { email, password: 'not the password at all' } });
    expect(viaSession.statusCode).toBe(401);
    expect(viaSession.json()).toEqual({ ...wrong.json(), instance: '/v1/session' });
  });

  it('answers GET /v1/me with 401 and Bearer and DPoP challenges without credentials', async () => {
    const response = await t.app.inject({ url: '/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`Bearer realm="${t.config.issuer}", DPoP realm="${t.config.issuer}", algs="ES256 EdDSA RS256 PS256"`);
    const bad = await t.app.inject({ url: '/v1/me', headers: { authorization: 'Bearer not.a.token' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('records audit events for success and failure without secrets', async () => {
    const { id, email } = await signUp(t.app);
    await appLogin(t.app, email);
    await post('/v1/auth/login', { email, password: 'wrong wrong wrong', client_id: 'mobile' });
    const rows = await t.app.database.query<{ type: string; client_id: string | null; detail: unknown }>(
      'SELECT type, client_id, detail FROM audit_events WHERE user_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.map((row) => row.type)).toEqual(['user_created', 'login_succeeded', 'login_failed']);
    expect(rows[1]?.client_id).toBe('mobile');
    expect(JSON.stringify(rows)).not.toContain('wrong wrong');
  });
});

describe('sign-up switched off', () => {
  it('answers 403 signup_disabled and creates nothing', async () => {
    const t = await startTestApp(databaseTargets[0]!, { env: { SIGNUP_ENABLED: 'false' } });
    try {
      const response = await t.app.inject({ method: 'POST', url: '/v1/users', payload: { email: uniqueEmail(), password: PASSWORD } });
      expect(response.statusCode).toBe(403);
      expect(response.json().type).toBe('urn:identity-service:problem:signup_disabled');
      const [row] = await t.app.database.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      expect(row?.n).toBe(0);
      expect(t.specViolations).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
