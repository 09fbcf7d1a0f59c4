import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, PASSWORD, signUp, uniqueEmail } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { authorizeUrl, decideConsent, pkce, redirectParams } from '../../support/authorize.js';
import { clientsFileWith } from '../../support/clients-file.js';
import { databaseTargets } from '../../support/databases.js';
import { dpopKey, type DpopKey } from '../../support/dpop.js';
import { basic, introspect, postForm } from '../../support/oauth.js';

const APP_REDIRECT = 'http://127.0.0.1:51234/callback';
const WEB = { id: 'shop-web', secret: 'demo-shop-web-secret-change-me-0123456789abcdef', redirect: 'http://localhost:4000/callback' };
// A public client registered with require_dpop (RFC 9449 §5.2), beside the demo clients.
const STRICT = { client_id: 'strict-app', type: 'public', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [APP_REDIRECT], scopes: ['openid', 'offline_access'], audience: 'api', require_dpop: true };

/** A DPoP client against one test app: the authorization-code flow, refreshes and resource calls, each with a fresh proof. */
function dpopClient(t: TestApp) {
  const issuer = () => t.config.issuer;
  const tokenProof = (key: DpopKey, claims: Record<string, unknown> = {}) => key.proof({ htm: 'POST', htu: `${issuer()}/oauth/token`, ...claims });
  return {
    tokenProof,
    async code(clientId = 'mobile', redirectUri = APP_REDIRECT, extra: Record<string, string> = {}) {
      const { id, email } = await signUp(t.app, uniqueEmail('dpop'));
      const browser = new Browser(t.app);
      await browser.signIn(email);
      const { verifier, challenge } = pkce();
      const response = await browser.request({ url: authorizeUrl({ client_id: clientId, redirect_uri: redirectUri, scope: 'openid offline_access', code_challenge: challenge, ...extra }) });
      // Third-party clients ask for consent first.
      const redirect = response.statusCode === 200 ? await decideConsent(browser, response, 'allow') : response;
      return { code: redirectParams(redirect).get('code')!, verifier, userId: id };
    },
    redeem: (code: string, verifier: string, headers: Record<string, string> = {}, clientId = 'mobile') =>
      postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: APP_REDIRECT }, headers),
    refresh: (refreshToken: string, headers: Record<string, string> = {}, clientId = 'mobile') =>
      postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }, headers),
    async userinfo(accessToken: string, key: DpopKey, options: { method?: 'GET' | 'POST'; proofMethod?: string; proofToken?: string; nonce?: string } = {}) {
      const method = options.method ?? 'GET';
      const proof = await key.proof({ htm: options.proofMethod ?? method, htu: `${issuer()}/oauth/userinfo`, accessToken: options.proofToken ?? accessToken, ...(options.nonce ? { nonce: options.nonce } : {}) });
      return t.app.inject({ method, url: '/oauth/userinfo', headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });
    },
  };
}

describe.each(databaseTargets)('DPoP (RFC 9449) through HTTP on $name', (target) => {
  let t: TestApp;
  let clients: ReturnType<typeof clientsFileWith>;
  let client: ReturnType<typeof dpopClient>;

  beforeAll(async () => {
    clients = clientsFileWith(STRICT);
    t = await startTestApp(target, { env: { CLIENTS_FILE: clients.file } });
    client = dpopClient(t);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
    clients.remove();
  });

  /** A public client's DPoP-bound login: its tokens and its key. */
  const boundLogin = async () => {
    const key = await dpopKey();
    const { code, verifier, userId } = await client.code();
    const response = await client.redeem(code, verifier, { dpop: await client.tokenProof(key) });
    expect(response.statusCode).toBe(200);
    return { key, userId, tokens: response.json() as { access_token: string; refresh_token: string; token_type: string } };
  };

  it('binds a public client\'s code grant to the proof key: token_type DPoP, cnf.jkt, and introspection reports cnf for both tokens', async () => {
    const { key, tokens } = await boundLogin();
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    expect((await introspect(t.app, tokens.access_token)).json()).toMatchObject({ active: true, token_type: 'access_token', cnf: { jkt: key.jkt } });
    expect((await introspect(t.app, tokens.refresh_token)).json()).toMatchObject({ active: true, token_type: 'refresh_token', cnf: { jkt: key.jkt } });
  });

  it('refreshes a bound family only with a proof by its key; a refusal rotates nothing', async () => {
    const { key, tokens } = await boundLogin();
    const withoutProof = await client.refresh(tokens.refresh_token);
    expect(withoutProof.statusCode).toBe(400);
    expect(withoutProof.json()).toMatchObject({ error: 'invalid_grant' });
    const thief = await dpopKey();
    expect((await client.refresh(tokens.refresh_token, { dpop: await client.tokenProof(thief) })).json()).toMatchObject({ error: 'invalid_grant' });

    // The very token still rotates for its key: the refusals spent nothing.
    const rotated = await client.refresh(tokens.refresh_token, { dpop: await client.tokenProof(key) });
    expect(rotated.statusCode).toBe(200);
    const body = rotated.json();
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token)).toMatchObject({ cnf: { jkt: key.jkt }, sid: decodeJwt(tokens.access_token).sid });
    // A grace replay of the spent parent by another key is no replay: the thief gets nothing, the family lives on.
    expect((await client.refresh(tokens.refresh_token, { dpop: await client.tokenProof(thief) })).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await client.refresh(body.refresh_token, { dpop: await client.tokenProof(key) })).statusCode).toBe(200);
  });

  it('refuses an invalid proof with invalid_dpop_proof before the grant runs, so the code is not spent', async () => {
    const key = await dpopKey();
    const { code, verifier } = await client.code();
    const refusals = [
      { dpop: await key.proof({ htm: 'POST', htu: `${t.config.issuer}/oauth/userinfo` }) },
      { dpop: await key.proof({ htm: 'GET', htu: `${t.config.issuer}/oauth/token` }) },
      { dpop: await client.tokenProof(key, { iat: Math.floor(Date.now() / 1000) - 600 }) },
      { dpop: 'not-a-jwt' },
      { dpop: `${await client.tokenProof(key)}, ${await client.tokenProof(key)}` },
    ];
    for (const headers of refusals) {
      const response = await client.redeem(code, verifier, headers);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_dpop_proof', error_description: expect.any(String) });
    }
    const proof = await client.tokenProof(key);
    expect((await client.redeem(code, verifier, { dpop: proof })).statusCode).toBe(200);
    // The same proof again is a replay, whatever it asks for.
    const { code: second, verifier: secondVerifier } = await client.code();
    expect((await client.redeem(second, secondVerifier, { dpop: proof })).json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(t.logText()).not.toContain(proof);
  });

  it('redeems a code requested with dpop_jkt (§10) only with a proof by that key', async () => {
    const key = await dpopKey();
    const thief = await dpopKey();
    const { code, verifier } = await client.code('mobile', APP_REDIRECT, { dpop_jkt: key.jkt });
    expect((await client.redeem(code, verifier, { dpop: await client.tokenProof(thief) })).json()).toMatchObject({ error: 'invalid_grant' });
    const bound = await client.code('mobile', APP_REDIRECT, { dpop_jkt: key.jkt });
    expect((await client.redeem(bound.code, bound.verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    const good = await client.code('mobile', APP_REDIRECT, { dpop_jkt: key.jkt });
    const issued = await client.redeem(good.code, good.verifier, { dpop: await client.tokenProof(key) });
    expect(issued.statusCode).toBe(200);
    expect(decodeJwt(issued.json().access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('binds a confidential client\'s access tokens to its proofs, but not its refresh token (already bound to its secret)', async () => {
    const key = await dpopKey();
    const { code, verifier } = await client.code(WEB.id, WEB.redirect);
    const issued = await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: WEB.redirect }, { authorization: basic(WEB), dpop: await client.tokenProof(key) });
    expect(issued.statusCode).toBe(200);
    expect(issued.json().token_type).toBe('DPoP');
    expect(decodeJwt(issued.json().access_token).cnf).toEqual({ jkt: key.jkt });
    const plain = await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.json().refresh_token }, { authorization: basic(WEB) });
    expect(plain.statusCode).toBe(200);
    expect(plain.json().token_type).toBe('Bearer');
    expect(decodeJwt(plain.json().access_token).cnf).toBeUndefined();
  });

  it('refuses a require_dpop client without a proof (invalid_dpop_proof) and serves it with one', async () => {
    const { code, verifier } = await client.code(STRICT.client_id);
    const refused = await client.redeem(code, verifier, {}, STRICT.client_id);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const key = await dpopKey();
    const issued = await client.redeem(code, verifier, { dpop: await client.tokenProof(key) }, STRICT.client_id);
    expect(issued.statusCode).toBe(200);
    expect((await client.refresh(issued.json().refresh_token, {}, STRICT.client_id)).json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('serves userinfo and /v1/me to a bound token with a proof of the request and of the token', async () => {
    const { key, userId, tokens } = await boundLogin();
    const get = await client.userinfo(tokens.access_token, key);
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({ sub: userId });
    expect((await client.userinfo(tokens.access_token, key, { method: 'POST' })).statusCode).toBe(200);
    const proof = await key.proof({ htm: 'GET', htu: `${t.config.issuer}/v1/me`, accessToken: tokens.access_token });
    const me = await t.app.inject({ url: '/v1/me', headers: { authorization: `DPoP ${tokens.access_token}`, dpop: proof } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: userId });
  });

  it('refuses a bound token as Bearer, without a proof, with a proof of another request, token or key, and a replayed proof', async () => {
    const { key, tokens } = await boundLogin();
    const asBearer = await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.headers['www-authenticate']).toBe(`DPoP realm="${t.config.issuer}", algs="ES256 EdDSA RS256 PS256", error="invalid_token"`);
    const noProof = await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `DPoP ${tokens.access_token}` } });
    expect(noProof.statusCode).toBe(401);
    expect(noProof.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');

    const other = await boundLogin();
    const refusals = [
      await client.userinfo(tokens.access_token, key, { proofMethod: 'POST' }),
      await client.userinfo(tokens.access_token, key, { proofToken: other.tokens.access_token }),
      await client.userinfo(tokens.access_token, other.key),
    ];
    for (const response of refusals) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const proof = await key.proof({ htm: 'GET', htu: `${t.config.issuer}/oauth/userinfo`, accessToken: tokens.access_token });
    const headers = { authorization: `DPoP ${tokens.access_token}`, dpop: proof };
    expect((await t.app.inject({ url: '/oauth/userinfo', headers })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/oauth/userinfo', headers })).statusCode).toBe(401);
  });

  it('refuses an invalid token sent with the DPoP scheme with a DPoP challenge', async () => {
    const key = await dpopKey();
    const response = await client.userinfo('not.a.token', key);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`DPoP realm="${t.config.issuer}", algs="ES256 EdDSA RS256 PS256", error="invalid_token"`);
  });

  it('refuses an unbound token with the DPoP scheme, and keeps serving it as Bearer', async () => {
    const { code, verifier } = await client.code();
    const tokens = (await client.redeem(code, verifier)).json();
    expect(tokens.token_type).toBe('Bearer');
    const key = await dpopKey();
    const asDpop = await client.userinfo(tokens.access_token, key);
    expect(asDpop.statusCode).toBe(401);
    expect(asDpop.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await t.app.inject({ url: '/oauth/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode).toBe(200);
  });

  it('binds the first-party password login (POST /v1/auth/login) like the token endpoint, and refuses a bad proof before the password', async () => {
    const key = await dpopKey();
    const { email } = await signUp(t.app, uniqueEmail('dpop-login'));
    const login = (headers: Record<string, string>, password?: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/login', headers, payload: { email, password: password ?? PASSWORD, client_id: 'mobile', scope: 'openid offline_access' } });
    const proof = () => key.proof({ htm: 'POST', htu: `${t.config.issuer}/v1/auth/login` });

    const wrongUri = await login({ dpop: await client.tokenProof(key) }, 'not the password at all');
    expect(wrongUri.statusCode).toBe(400);
    expect(wrongUri.json()).toMatchObject({ type: 'urn:identity-service:problem:invalid_dpop_proof' });

    const issued = await login({ dpop: await proof() });
    expect(issued.statusCode).toBe(200);
    expect(issued.json().token_type).toBe('DPoP');
    expect(decodeJwt(issued.json().access_token).cnf).toEqual({ jkt: key.jkt });
    expect((await client.refresh(issued.json().refresh_token)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await client.refresh(issued.json().refresh_token, { dpop: await client.tokenProof(key) })).statusCode).toBe(200);
  });

  it('advertises the proof algorithms in both discovery documents', async () => {
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      expect((await t.app.inject(url)).json().dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'RS256', 'PS256']);
    }
  });
});

describe('DPoP nonces (RFC 9449 §8) with DPOP_NONCE_REQUIRED', () => {
  let t: TestApp;
  let client: ReturnType<typeof dpopClient>;
  beforeAll(async () => {
    t = await startTestApp(databaseTargets[0]!, { env: { DPOP_NONCE_REQUIRED: 'true' } });
    client = dpopClient(t);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('answers use_dpop_nonce with a DPoP-Nonce at the token endpoint and at userinfo, and accepts the retry', async () => {
    const key = await dpopKey();
    const { code, verifier } = await client.code();
    const first = await client.redeem(code, verifier, { dpop: await client.tokenProof(key) });
    expect(first.statusCode).toBe(400);
    expect(first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const retried = await client.redeem(code, verifier, { dpop: await client.tokenProof(key, { nonce }) });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['dpop-nonce']).toBe(nonce);
    const tokens = retried.json();

    const withoutNonce = await client.userinfo(tokens.access_token, key);
    expect(withoutNonce.statusCode).toBe(401);
    expect(withoutNonce.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    expect(withoutNonce.headers['dpop-nonce']).toBe(nonce);
    expect((await client.userinfo(tokens.access_token, key, { nonce })).statusCode).toBe(200);
    // Bearer clients are untouched by the nonce requirement.
    const plain = await client.code();
    expect((await client.redeem(plain.code, plain.verifier)).statusCode).toBe(200);
  });
});
