import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { appLogin, signUp, uniqueEmail } from '../../support/accounts.js';
import { introspect } from '../../support/oauth.js';

describe.each(databaseTargets)('signing-key administration on $name', (target) => {
  let t: TestApp;
  let adminToken: string;
  let userToken: string;
  beforeAll(async () => {
    t = await startTestApp(target);
    const boss = await signUp(t.app, uniqueEmail('boss'));
    await t.app.database.query(`UPDATE users SET roles = ARRAY['user','admin'] WHERE id = $1`, [boss.id]);
    adminToken = (await appLogin(t.app, boss.email)).access_token;
    const user = await signUp(t.app, uniqueEmail('user'));
    userToken = (await appLogin(t.app, user.email)).access_token;
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const call = (method: 'GET' | 'POST', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  it('refuses anonymous callers and users without the admin role', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/keys/rotate' })).statusCode).toBe(401);
    expect((await call('POST', '/v1/admin/keys/rotate', userToken)).statusCode).toBe(403);
    expect((await call('GET', '/v1/admin/keys', userToken)).statusCode).toBe(403);
  });

  it('lists keys without any private material', async () => {
    const response = await call('GET', '/v1/admin/keys', adminToken);
    expect(response.statusCode).toBe(200);
    const { keys } = response.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ phase: 'active', retired_at: null });
    expect(response.body).not.toMatch(/"d"|private/i);
  });

  it('starts a rotation with pre-publication, once', async () => {
    const first = await call('POST', '/v1/admin/keys/rotate', adminToken);
    expect(first.statusCode).toBe(200);
    expect(first.json().created).toMatchObject({ phase: 'published' });
    const jwks = (await t.app.inject('/.well-known/jwks.json')).json();
    expect(jwks.keys.map((key: { kid: string }) => key.kid)).toContain(first.json().created.kid);
    // A rotation is already under way: nothing more happens.
    expect((await call('POST', '/v1/admin/keys/rotate', adminToken)).json()).toEqual({});
  });

  it('withdraws a compromised key at once: its tokens stop verifying', async () => {
    const before = (await t.app.inject('/.well-known/jwks.json')).json().keys.map((key: { kid: string }) => key.kid);
    const response = await call('POST', '/v1/admin/keys/rotate', adminToken, { compromised: true });
    expect(response.statusCode).toBe(200);
    const withdrawn = response.json().compromised;
    expect(before).toContain(withdrawn);
    const after = (await t.app.inject('/.well-known/jwks.json')).json().keys.map((key: { kid: string }) => key.kid);
    expect(after).not.toContain(withdrawn);
    expect((await introspect(t.app, userToken)).json()).toEqual({ active: false });
    expect((await call('GET', '/v1/admin/keys', adminToken)).statusCode).toBe(401);
  });
});
