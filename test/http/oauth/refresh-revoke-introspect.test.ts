import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { ManualClock } from '../../../src/domain/clock.js';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { ORDERS, basic, introspect, postForm } from '../../support/oauth.js';
import { emailOfInsertedUser, insertUser } from '../../support/users.js';

describe.each(databaseTargets)('refresh, revocation and introspection through HTTP on $name', (target) => {
  let t: TestApp;
  let userId: string;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    t = await startTestApp(target, { clock });
    userId = await insertUser(t.app.database, ['user', 'admin']);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const login = () => {
    const mobile = t.app.clients.find('mobile')!;
    return t.app.tokens.startLogin({ userId, email: emailOfInsertedUser(userId), roles: ['user', 'admin'], client: mobile, scope: 'openid offline_access', userAgent: 'App/1', ip: '198.51.100.4' });
  };
  const refresh = (refreshToken: string, clientId = 'mobile') =>
    postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  const metric = async (name: string) => {
    const text = (await t.app.inject('/metrics')).body;
    return Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? 0);
  };

  it('rotates through HTTP, keeps the sid, and answers a grace replay with the same successor', async () => {
    const first = await login();
    const rotated = await refresh(first.refresh_token!);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.headers['cache-control']).toBe('no-store');
    const body = rotated.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'openid offline_access' });
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({ sub: userId, client_id: 'mobile', roles: ['user', 'admin'], sid: decodeJwt(first.access_token).sid });

    const replaysBefore = await metric('oauth_refresh_grace_replays_total');
    const replay = await refresh(first.refresh_token!);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().refresh_token).toBe(body.refresh_token);
    expect(await metric('oauth_refresh_grace_replays_total')).toBe(replaysBefore + 1);
  });

  it('detects reuse after the window: the family dies, its access tokens turn inactive at once', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token!)).json();
    expect((await introspect(t.app, second.access_token)).json().active).toBe(true);

    clock.advance(11);
    const reusesBefore = await metric('oauth_refresh_reuse_detected_total');
    const reuse = await refresh(first.refresh_token!);
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked.' });
    expect(await metric('oauth_refresh_reuse_detected_total')).toBe(reusesBefore + 1);
    expect((await refresh(second.refresh_token)).statusCode).toBe(400);
    expect((await introspect(t.app, second.access_token)).json()).toEqual({ active: false });
    expect(t.logs.some((line) => line.msg === 'refresh token reuse detected: family revoked' && line.familyId === decodeJwt(first.access_token).sid)).toBe(true);
  });

  it('answers 20 parallel refreshes of one token with one successor, no 5xx', async () => {
    const first = await login();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token!)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((response) => response.json().refresh_token)).size).toBe(1);
    const successor = responses[0]!.json().refresh_token;
    expect((await refresh(successor)).statusCode).toBe(200);
  });

  it('introspects a live access token with every RFC 7662 field', async () => {
    const first = await login();
    const response = await introspect(t.app, first.access_token);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(first.access_token);
    expect(response.json()).toEqual({
      active: true,
      token_type: 'access_token',
      scope: 'openid offline_access',
      client_id: 'mobile',
      sub: userId,
      aud: 'api',
      iss: t.config.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      sid: claims.sid,
    });
  });

  it('introspects refresh tokens: live before rotation, inactive once spent', async () => {
    const first = await login();
    expect((await introspect(t.app, first.refresh_token!)).json()).toMatchObject({ active: true, token_type: 'refresh_token', client_id: 'mobile', sub: userId });
    await refresh(first.refresh_token!);
    expect((await introspect(t.app, first.refresh_token!)).json()).toEqual({ active: false });
  });

  it('answers inactive for garbage, foreign and expired tokens', async () => {
    expect((await introspect(t.app, 'garbage')).json()).toEqual({ active: false });
    expect((await introspect(t.app, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).json()).toEqual({ active: false });
    const first = await login();
    clock.advance(900 + 31);
    expect((await introspect(t.app, first.access_token)).json()).toEqual({ active: false });
  });

  it('lets only confidential clients introspect', async () => {
    const first = await login();
    const response = await postForm(t.app, '/oauth/introspect', { token: first.access_token, client_id: 'mobile' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('revokes a refresh token and with it the whole family', async () => {
    const first = await login();
    const second = (await refresh(first.refresh_token!)).json();
    const response = await postForm(t.app, '/oauth/revoke', { token: second.refresh_token, token_type_hint: 'refresh_token', client_id: 'mobile' });
    expect(response.statusCode).toBe(200);
    expect((await refresh(second.refresh_token)).statusCode).toBe(400);
    expect((await introspect(t.app, second.access_token)).json()).toEqual({ active: false });
  });

  it('revokes an access token by revoking its login', async () => {
    const first = await login();
    expect((await postForm(t.app, '/oauth/revoke', { token: first.access_token, client_id: 'mobile' })).statusCode).toBe(200);
    expect((await introspect(t.app, first.access_token)).json()).toEqual({ active: false });
    expect((await refresh(first.refresh_token!)).statusCode).toBe(400);
  });

  it('revokes a client-credentials access token on its own', async () => {
    const issued = (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(ORDERS) })).json();
    expect((await introspect(t.app, issued.access_token)).json().active).toBe(true);
    expect((await postForm(t.app, '/oauth/revoke', { token: issued.access_token }, { authorization: basic(ORDERS) })).statusCode).toBe(200);
    expect((await introspect(t.app, issued.access_token)).json()).toEqual({ active: false });
  });

  it('answers 200 for unknown tokens and ignores other clients\u2019 tokens', async () => {
    expect((await postForm(t.app, '/oauth/revoke', { token: 'unknown', client_id: 'mobile' })).statusCode).toBe(200);
    const first = await login();
    expect((await postForm(t.app, '/oauth/revoke', { token: first.refresh_token! }, { authorization: basic(ORDERS) })).statusCode).toBe(200);
    expect((await refresh(first.refresh_token!)).statusCode).toBe(200);
  });

  it('requires client authentication to revoke', async () => {
    const response = await postForm(t.app, '/oauth/revoke', { token: 'x' });
    expect(response.statusCode).toBe(401);
  });
});
