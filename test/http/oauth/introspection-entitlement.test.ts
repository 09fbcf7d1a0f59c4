import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { databaseTargets } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { GATEWAY, ORDERS, basic, introspect, postForm } from '../../support/oauth.js';
import { emailOfInsertedUser, insertUser } from '../../support/users.js';

// The demo clients file: `gateway` holds the `introspect` scope, `orders` only orders:read and orders:write.
describe.each(databaseTargets)('introspection entitlement and revocation probing on $name', (target) => {
  let t: TestApp;
  let userId: string;

  beforeAll(async () => {
    t = await startTestApp(target);
    userId = await insertUser(t.app.database, ['user']);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const login = () =>
    t.app.tokens.startLogin({ userId, email: emailOfInsertedUser(userId), roles: ['user'], client: t.app.clients.find('mobile')!, scope: 'openid offline_access' });
  const introspectAsOrders = (token: string) => postForm(t.app, '/oauth/introspect', { token }, { authorization: basic(ORDERS) });
  const ordersToken = async () => (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(ORDERS) })).json().access_token as string;

  it("tells a client without the introspect scope nothing about another client's user tokens", async () => {
    const issued = await login();
    for (const token of [issued.access_token, issued.refresh_token!]) {
      const response = await introspectAsOrders(token);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ active: false });
      // Byte for byte the answer to a token that does not exist.
      expect(response.body).toBe((await introspectAsOrders('unknown-token')).body);
    }
  });

  it('answers the client entitled by the introspect scope about any client\u2019s tokens', async () => {
    const issued = await login();
    expect((await introspect(t.app, issued.access_token)).json()).toMatchObject({ active: true, client_id: 'mobile', sub: userId, sid: decodeJwt(issued.access_token).sid });
    expect((await introspect(t.app, issued.refresh_token!)).json()).toMatchObject({ active: true, token_type: 'refresh_token', client_id: 'mobile', sub: userId });
    expect((await introspect(t.app, await ordersToken())).json()).toMatchObject({ active: true, client_id: 'orders', sub: 'orders' });
  });

  it('still lets a client introspect the tokens issued to itself', async () => {
    expect((await introspectAsOrders(await ordersToken())).json()).toMatchObject({ active: true, client_id: 'orders', sub: 'orders', scope: 'orders:read orders:write' });
    const gatewayToken = (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(GATEWAY) })).json().access_token as string;
    expect((await introspectAsOrders(gatewayToken)).json()).toEqual({ active: false });
  });

  it("cannot be used to probe or revoke another client's tokens through /oauth/revoke", async () => {
    const issued = await login();
    const unknown = await postForm(t.app, '/oauth/revoke', { token: 'unknown-token' }, { authorization: basic(ORDERS) });
    for (const token of [issued.access_token, issued.refresh_token!]) {
      const response = await postForm(t.app, '/oauth/revoke', { token }, { authorization: basic(ORDERS) });
      expect({ status: response.statusCode, body: response.body }).toEqual({ status: unknown.statusCode, body: unknown.body });
    }
    expect((await introspect(t.app, issued.access_token)).json().active).toBe(true);
    expect((await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token!, client_id: 'mobile' })).statusCode).toBe(200);
  });
});
