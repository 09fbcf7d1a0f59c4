import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { createVerifier, type Verifier } from '../../../packages/verifier/src/index.js';
import { verifierPlugin } from '../../../packages/verifier/src/fastify.js';
import { appLogin, signUp } from '../../support/accounts.js';
import { adminOf } from '../../support/admin.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { databaseTargets } from '../../support/databases.js';
import { freePort } from '../../support/process.js';

/**
 * Roles granted by an admin reach a downstream service through the access
 * token's `roles` claim, which the verifier package's Fastify guard reads.
 */
describe.each(databaseTargets)('roles granted by an admin, guarded downstream ($name)', (target) => {
  let t: TestApp;
  let verifier: Verifier;
  let downstream: FastifyInstance;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp(target, { env: { ISSUER: `http://127.0.0.1:${port}`, RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
    await t.app.listen({ port, host: '127.0.0.1' });
    verifier = await createVerifier({ issuer: t.config.issuer, audience: 'api' });
    downstream = Fastify();
    await downstream.register(verifierPlugin, { verifier });
    downstream.get('/reports', { config: { accessToken: { roles: ['admin'] } } }, async (request) => ({ sub: request.token?.sub }));
  });
  afterAll(async () => {
    verifier?.close();
    await downstream?.close();
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  const reports = (token: string) => downstream.inject({ url: '/reports', headers: { authorization: `Bearer ${token}` } });

  it('admits a token minted after the grant and refuses one minted after the removal', async () => {
    const boss = await adminOf(t.app);
    const user = await signUp(t.app);
    const headers = { 'x-csrf-token': boss.csrf };
    expect((await reports((await appLogin(t.app, user.email)).access_token)).statusCode).toBe(403);

    expect((await boss.browser.request({ method: 'PUT', url: `/v1/admin/users/${user.id}/roles/admin`, headers })).statusCode).toBe(200);
    const promoted = await appLogin(t.app, user.email);
    const admitted = await reports(promoted.access_token);
    expect(admitted.statusCode).toBe(200);
    expect(admitted.json()).toEqual({ sub: user.id });

    expect((await boss.browser.request({ method: 'DELETE', url: `/v1/admin/users/${user.id}/roles/admin`, headers })).statusCode).toBe(200);
    const refused = await reports((await appLogin(t.app, user.email)).access_token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'insufficient_scope', error_description: 'The token lacks a role this resource requires.' });
  });
});
