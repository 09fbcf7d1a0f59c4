import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { createVerifier, type Verifier } from '../../../packages/verifier/src/index.js';
import { requireAuth, verifierPlugin } from '../../../packages/verifier/src/fastify.js';
import { dpopKey, dpopProof } from '../../support/dpop.js';
import { AUDIENCE, IssuerStub } from '../../support/issuer-stub.js';
import { eventually } from './support.js';

let stub: IssuerStub;
let verifier: Verifier;
let app: FastifyInstance;

/** A downstream service as its README shows it: the plugin, and routes that name what they need. */
function downstreamApp(v: Verifier): FastifyInstance {
  const downstream = Fastify();
  downstream.register(verifierPlugin, { verifier: v, realm: 'orders' });
  downstream.get('/orders', { config: { accessToken: { scopes: ['orders:read'] } } }, async (request) => ({ sub: request.token?.sub }));
  downstream.get('/admin', { config: { accessToken: { roles: ['admin', 'support'] } } }, async () => ({ ok: true }));
  downstream.get('/open', async (request) => ({ token: request.token ?? null }));
  downstream.get('/guarded', { preHandler: requireAuth(v, { scopes: ['openid'] }) }, async (request) => ({ client: request.token?.client_id }));
  return downstream;
}

beforeAll(async () => {
  stub = await IssuerStub.start();
  verifier = await createVerifier({ issuer: stub.issuer, audience: AUDIENCE });
  app = downstreamApp(verifier);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  verifier.close();
  await stub.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

describe('the Fastify plugin', () => {
  it('lets a token with the scope through and hands the route its claims', async () => {
    const response = await get('/orders', { authorization: `Bearer ${await stub.sign({ sub: 'ada' })}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: 'ada' });
    const guarded = await get('/guarded', { authorization: `bearer ${await stub.sign()}` });
    expect(guarded.json()).toEqual({ client: 'mobile' });
  });

  it('leaves routes without auth alone', async () => {
    const response = await get('/open');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ token: null });
  });

  it('answers 401 with the RFC 6750 §3 challenges: none without a token, invalid_token for a bad one', async () => {
    const missing = await get('/orders');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="orders", DPoP algs="ES256"');
    for (const authorization of [`Bearer ${await stub.sign({ aud: 'elsewhere' })}`, 'Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', `Bearer ${await stub.sign({ exp: 1, iat: 0 })}`]) {
      const response = await get('/orders', { authorization });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token", error_description="[^"]+"$/);
      expect(response.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('answers 403 insufficient_scope naming the scope, and for a missing role', async () => {
    const noScope = await get('/orders', { authorization: `Bearer ${await stub.sign({ scope: 'openid' })}` });
    expect(noScope.statusCode).toBe(403);
    expect(noScope.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(noScope.headers['www-authenticate']).toContain('scope="orders:read"');
    const noRole = await get('/admin', { authorization: `Bearer ${await stub.sign({ roles: ['user'] })}` });
    expect(noRole.statusCode).toBe(403);
    expect(noRole.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const support = await get('/admin', { authorization: `Bearer ${await stub.sign({ roles: ['support'] })}` });
    expect(support.statusCode).toBe(200);
  });

  it('answers with the DPoP scheme for bound tokens, and accepts them with their proof', async () => {
    const key = await dpopKey();
    const token = await stub.sign({ cnf: { jkt: key.jkt } });
    const asBearer = await get('/orders', { authorization: `Bearer ${token}` });
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.headers['www-authenticate']).toMatch(/^DPoP realm="orders", error="invalid_token", .*algs="ES256"$/);
    const noProof = await get('/orders', { authorization: `DPoP ${token}` });
    expect(noProof.statusCode).toBe(401);
    expect(noProof.headers['www-authenticate']).toContain('DPoP realm="orders", error="invalid_dpop_proof"');
    // inject addresses http://localhost:80
    const proof = await dpopProof(key, token, 'GET', 'http://localhost:80/orders');
    const withProof = await get('/orders?x=1', { authorization: `DPoP ${token}`, dpop: proof });
    expect(withProof.statusCode).toBe(200);
  });

  it('answers 503, not 401, when fail-closed and the revocation feed is stale', async () => {
    const closed = await createVerifier({ issuer: stub.issuer, audience: AUDIENCE, revocation: { pollIntervalMs: 20, maxStalenessMs: 50, failMode: 'closed' } });
    const downstream = downstreamApp(closed);
    try {
      stub.down.feed = true;
      await eventually(() => closed.status().revocation?.stale === true);
      const response = await downstream.inject({ url: '/orders', headers: { authorization: `Bearer ${await stub.sign()}` } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.headers['www-authenticate']).toBeUndefined();
    } finally {
      stub.down.feed = false;
      closed.close();
      await downstream.close();
    }
  });
});
