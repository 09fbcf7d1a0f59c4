import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { ORDERS, basic, postForm } from '../../support/oauth.js';

describe.each(databaseTargets)('client credentials and the token endpoint on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const clientCredentials = (form: Record<string, string | string[]> = {}, headers: Record<string, string> = { authorization: basic(ORDERS) }) =>
    postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', ...form }, headers);

  it('issues a client token with client_secret_basic that a downstream service verifies from the JWKS alone', async () => {
    const response = await clientCredentials();
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'orders:read orders:write' });
    expect(body).not.toHaveProperty('refresh_token');

    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const jwks = createRemoteJWKSet(new URL(`${address}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      issuer: t.config.issuer,
      audience: 'api',
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'orders', client_id: 'orders', scope: 'orders:read orders:write' });
    expect(payload).not.toHaveProperty('sid');
  });

  it('issues with client_secret_post and narrows scope on request', async () => {
    const response = await clientCredentials({ client_id: ORDERS.id, client_secret: ORDERS.secret, scope: 'orders:read' }, {});
    expect(response.statusCode).toBe(200);
    expect(response.json().scope).toBe('orders:read');
    expect(decodeJwt(response.json().access_token).scope).toBe('orders:read');
  });

  it.each([
    ['a wrong secret', {}, { authorization: basic({ id: 'orders', secret: 'wrong' }) }],
    ['an unknown client', {}, { authorization: basic({ id: 'nobody', secret: 'whatever' }) }],
    ['no client at all', {}, {}],
    ['a confidential client without its secret', { client_id: 'orders' }, {}],
  ])('answers %s with 401 invalid_client and a Basic challenge', async (_name, form, headers) => {
    const response = await clientCredentials(form, headers);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed.' });
  });

  it('refuses client_credentials to a public client', async () => {
    const response = await clientCredentials({ client_id: 'mobile' }, {});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('unauthorized_client');
  });

  it('refuses a public client that sends a secret', async () => {
    const response = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'mobile', client_secret: 'x'.repeat(40) });
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ['two authentication methods', { client_secret: ORDERS.secret }, 'invalid_request'],
    ['a repeated parameter', { scope: ['orders:read', 'orders:write'] }, 'invalid_request'],
    ['a scope beyond the client', { scope: 'orders:read admin' }, 'invalid_scope'],
    ['an unknown grant type', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['the authorization-code grant, which this client is not registered for', { grant_type: 'authorization_code' }, 'unauthorized_client'],
  ])('answers %s with 400 %s', async (_name, form, error) => {
    const response = await clientCredentials(form as Record<string, string>);
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json().error).toBe(error);
  });

  it('accepts form bodies only', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic(ORDERS), 'content-type': 'application/json' },
      payload: { grant_type: 'client_credentials' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('answers a missing grant_type with invalid_request', async () => {
    const response = await postForm(t.app, '/oauth/token', {}, { authorization: basic(ORDERS) });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('publishes RFC 8414 metadata at both well-known locations', async () => {
    const oauth = await t.app.inject('/.well-known/oauth-authorization-server');
    const oidc = await t.app.inject('/.well-known/openid-configuration');
    expect(oauth.body).toBe(oidc.body);
    const issuer = t.config.issuer;
    expect(oauth.json()).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect(oauth.json().grant_types_supported.sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
    expect(oauth.json().scopes_supported).toEqual(expect.arrayContaining(['openid', 'orders:read']));
    expect(oauth.json().code_challenge_methods_supported).toEqual(['S256']);
  });
});
