import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import { appLogin, Browser, PASSWORD, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { authorizeUrl, pkce, redirectParams } from '../../support/authorize.js';
import { clientsFileWith } from '../../support/clients-file.js';
import { databaseTargets } from '../../support/databases.js';
import { enrolTotp, totpCode } from '../../support/mfa.js';
import { postForm } from '../../support/oauth.js';

const APP_REDIRECT = 'http://127.0.0.1:51234/callback';
const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
// A first-party app registered with require_mfa, beside the demo clients.
const STRICT = { client_id: 'strict-mfa', type: 'public', first_party: true, grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [APP_REDIRECT], scopes: ['openid', 'offline_access'], audience: 'api', require_mfa: true };

describe.each(databaseTargets)('requiring a second factor ($name)', (target) => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let clients: ReturnType<typeof clientsFileWith>;
  beforeAll(async () => {
    clients = clientsFileWith(STRICT);
    t = await startTestApp(target, { clock, env: { CLIENTS_FILE: clients.file, RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
    clients.remove();
  });

  /** A browser signed in with the password only; `enrol` adds TOTP afterwards (so the session predates it). */
  const passwordSession = async (enrol: boolean) => {
    const { id, email } = await signUp(t.app);
    const browser = new Browser(t.app);
    await browser.signIn(email);
    const secret = enrol ? (await enrolTotp(t.app, (await appLogin(t.app, email)).access_token, clock)).secret : undefined;
    clock.advance(60);
    return { id, email, browser, secret };
  };
  const authorize = (browser: Browser, params: Record<string, string>) =>
    browser.request({ url: authorizeUrl({ client_id: 'mobile', redirect_uri: APP_REDIRECT, scope: 'openid', code_challenge: pkce().challenge, state: 's', ...params }) });

  it('advertises the multi-factor policy in both discovery documents', async () => {
    for (const url of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      expect((await t.app.inject({ url })).json().acr_values_supported).toEqual([MFA_ACR]);
    }
  });

  it('acr_values: a password-only session of a user with TOTP signs in again through the code step, and the ID token carries acr and amr', async () => {
    const { id, email, browser, secret } = await passwordSession(true);
    const { verifier, challenge } = pkce();
    const first = await authorize(browser, { acr_values: MFA_ACR, code_challenge: challenge, nonce: 'n' });
    expect(first.statusCode).toBe(303);
    const login = new URL(first.headers.location as string, t.config.issuer);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('prompt')).toBe('login');
    const returnTo = login.searchParams.get('return_to')!;

    const password = await browser.request({ method: 'POST', url: '/v1/session', payload: { email, password: PASSWORD } });
    expect(password.json().type).toBe('urn:identity-service:problem:mfa_required');
    expect((await browser.request({ method: 'POST', url: '/v1/session/mfa', payload: { code: totpCode(secret!, clock) } })).statusCode).toBe(200);
    const resumed = await browser.request({ url: returnTo });
    const code = /code=([^&"]+)/.exec(resumed.body)?.[1];
    expect(code).toBeDefined();
    const tokens = (await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', client_id: 'mobile', code: decodeURIComponent(code!), code_verifier: verifier, redirect_uri: APP_REDIRECT })).json();
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: id, amr: ['pwd', 'otp'], acr: MFA_ACR, nonce: 'n' });
    expect(decodeJwt(tokens.access_token).amr).toEqual(['pwd', 'otp']);
  });

  it('without acr_values or require_mfa a password session still gets its code, without acr', async () => {
    const { browser } = await passwordSession(false);
    const { verifier, challenge } = pkce();
    const params = redirectParams(await authorize(browser, { code_challenge: challenge }));
    const tokens = (await postForm(t.app, '/oauth/token', { grant_type: 'authorization_code', client_id: 'mobile', code: params.get('code')!, code_verifier: verifier, redirect_uri: APP_REDIRECT })).json();
    const idToken = decodeJwt(tokens.id_token);
    expect(idToken.amr).toEqual(['pwd']);
    expect(idToken.acr).toBeUndefined();
  });

  it('a user without a second factor gets access_denied, for acr_values and for a require_mfa client; prompt=none gets login_required', async () => {
    const { browser } = await passwordSession(false);
    for (const params of [{ acr_values: `urn:other ${MFA_ACR}` }, { client_id: 'strict-mfa' }] as Record<string, string>[]) {
      const answer = redirectParams(await authorize(browser, params));
      expect(answer.get('error')).toBe('access_denied');
      expect(answer.get('error_description')).toContain('/account/security');
      expect(answer.get('state')).toBe('s');
    }
    const enrolled = await passwordSession(true);
    expect(redirectParams(await authorize(enrolled.browser, { client_id: 'strict-mfa', prompt: 'none' })).get('error')).toBe('login_required');
  });

  it('POST /v1/auth/login for a require_mfa client refuses an account without a second factor, and asks one with it for the code', async () => {
    const { email } = await signUp(t.app);
    const refused = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'strict-mfa' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('urn:identity-service:problem:mfa_enrollment_required');
    await enrolTotp(t.app, (await appLogin(t.app, email)).access_token, clock);
    const asked = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: PASSWORD, client_id: 'strict-mfa' } });
    expect(asked.json().type).toBe('urn:identity-service:problem:mfa_required');
  });
});
