import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { createVerifier, type Verifier } from '../../../packages/verifier/src/index.js';
import { verifierPlugin } from '../../../packages/verifier/src/fastify.js';
import { appLogin, signUp } from '../../support/accounts.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets } from '../../support/databases.js';
import { GATEWAY } from '../../support/oauth.js';
import { freePort } from '../../support/process.js';
import { codeOf, eventually } from './support.js';

const POLL_INTERVAL_MS = 300;

/**
 * The real service on a port of its own, and a downstream Fastify app that
 * verifies its tokens with the package: the JWKS and the revocation feed over
 * HTTP, never introspection.
 */
describe.each(databaseTargets)('a downstream service using the verifier, against the service on $name', (target) => {
  let t: TestApp;
  let verifier: Verifier;
  let downstream: FastifyInstance;
  const serviceRequests: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp(target, {
      env: { ISSUER: `http://127.0.0.1:${port}`, RATE_LIMIT_LOGIN_PER_MINUTE: '1000' },
      extend: (app) => app.addHook('onRequest', async (request) => void serviceRequests.push(request.url)),
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    verifier = await createVerifier({
      issuer: t.config.issuer,
      audience: 'api',
      jwksCooldownMs: 100,
      revocation: { pollIntervalMs: POLL_INTERVAL_MS, failMode: 'closed', clientId: GATEWAY.id, clientSecret: GATEWAY.secret },
    });
    downstream = Fastify();
    await downstream.register(verifierPlugin, { verifier });
    downstream.get('/profile', { config: { accessToken: { scopes: ['openid'] } } }, async (request) => ({ sub: request.token?.sub }));
  });
  afterAll(async () => {
    verifier?.close();
    await downstream?.close();
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const profile = (token: string) => downstream.inject({ url: '/profile', headers: { authorization: `Bearer ${token}` } });

  it('accepts a token of the service, reading its revocation feed as a confidential client', async () => {
    const user = await signUp(t.app);
    const { access_token } = await appLogin(t.app, user.email);
    const response = await profile(access_token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: user.id });
    expect(verifier.status().revocation).toMatchObject({ stale: false, lastError: undefined, version: expect.any(Number) });
  });

  it('refuses the token within one poll interval of POST /v1/me/logout-all, without calling introspection', async () => {
    const user = await signUp(t.app);
    const { access_token } = await appLogin(t.app, user.email);
    const other = await appLogin(t.app, (await signUp(t.app)).email);
    expect((await profile(access_token)).statusCode).toBe(200);
    const logout = await t.app.inject({ method: 'POST', url: '/v1/me/logout-all', headers: { authorization: `Bearer ${access_token}` } });
    expect(logout.statusCode).toBe(200);
    const revokedAt = performance.now();
    let response = await profile(access_token);
    while (response.statusCode === 200 && performance.now() - revokedAt < POLL_INTERVAL_MS * 3) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      response = await profile(access_token);
    }
    const latency = performance.now() - revokedAt;
    console.log(`verifier on ${target.name}: logout-all refused downstream after ${latency.toFixed(0)} ms (poll interval ${POLL_INTERVAL_MS} ms)`);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(await codeOf(verifier.verify(access_token))).toBe('token_revoked');
    // One poll interval, plus the poll's own round trip on a loaded machine.
    expect(latency).toBeLessThan(POLL_INTERVAL_MS + 200);
    expect((await profile(other.access_token)).statusCode).toBe(200);
    expect(serviceRequests.filter((url) => url.startsWith('/oauth/introspect'))).toEqual([]);
    expect(serviceRequests.filter((url) => url.startsWith('/oauth/revocations')).length).toBeGreaterThan(1);
  });

  it('picks up a key rotation without a restart; a compromised key stops verifying', async () => {
    const user = await signUp(t.app);
    const before = await appLogin(t.app, user.email);
    expect((await profile(before.access_token)).statusCode).toBe(200);
    const { created } = await t.app.keyService.rotate({ compromised: true });
    const after = await appLogin(t.app, user.email);
    expect(decodeProtectedHeader(after.access_token).kid).toBe(created?.kid);
    await new Promise((resolve) => setTimeout(resolve, 110));
    expect((await profile(after.access_token)).statusCode).toBe(200);
    await eventually(() => !verifier.status().jwks.kids.includes(decodeProtectedHeader(before.access_token).kid!));
    expect((await profile(before.access_token)).statusCode).toBe(401);
  });
});
