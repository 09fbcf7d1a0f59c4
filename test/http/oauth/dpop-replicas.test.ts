import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { embeddedTarget } from '../../support/databases.js';
import { dpopKey, type DpopKey } from '../../support/dpop.js';
import { basic, ORDERS, postForm } from '../../support/oauth.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.log('REDIS_URL is not set: the DPoP multi-replica suite is skipped');

const ISSUER = 'https://id.example.com';
const TOKEN_URI = `${ISSUER}/oauth/token`;

/**
 * Two replicas behind one issuer, as the Helm chart runs them: the same
 * Redis and the same master key. A client-credentials grant stands for any
 * token request (its proof is checked the same way), and needs no user; it
 * writes nothing to the database either, so each replica's embedded one will do.
 */
describe.skipIf(!REDIS_URL)('DPoP across replicas (RFC 9449 §11.1, §8)', () => {
  let replicas: [TestApp, TestApp];
  let key: DpopKey;
  const grant = (t: TestApp, proof: string) =>
    postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', scope: 'orders:read' }, { authorization: basic(ORDERS), dpop: proof });

  beforeAll(async () => {
    const env = { REDIS_URL: REDIS_URL!, ISSUER, KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), DPOP_NONCE_REQUIRED: 'true' };
    replicas = await Promise.all([startTestApp(embeddedTarget, { env }), startTestApp(embeddedTarget, { env })]);
    key = await dpopKey();
    // Two embedded databases start at once: on a busy 2-core machine that can outlast the default hook timeout.
  }, 120_000);
  afterAll(async () => {
    expect(replicas.flatMap((t) => t.specViolations)).toEqual([]);
    await Promise.all(replicas.map((t) => t.close()));
  });

  it('accepts the nonce one replica issued at the other, and a proof only once on either', async () => {
    const [a, b] = replicas;
    const first = await grant(a, await key.proof({ htm: 'POST', htu: TOKEN_URI }));
    expect(first.statusCode).toBe(400);
    expect(first.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toEqual(expect.any(String));

    const proof = await key.proof({ htm: 'POST', htu: TOKEN_URI, nonce });
    const issued = await grant(b, proof);
    expect(issued.statusCode).toBe(200);
    expect(issued.json()).toMatchObject({ token_type: 'DPoP' });
    // The same proof at the replica that did not see it: Redis remembers it for both.
    const replayed = await grant(a, proof);
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect((await grant(b, proof)).json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('of the same proof sent to both replicas at once, exactly one is accepted', async () => {
    const [a, b] = replicas;
    const nonce = (await grant(a, await key.proof({ htm: 'POST', htu: TOKEN_URI }))).headers['dpop-nonce'] as string;
    const proof = await key.proof({ htm: 'POST', htu: TOKEN_URI, nonce });
    const statuses = (await Promise.all([a, b, a, b].map((t) => grant(t, proof)))).map((response) => response.statusCode);
    expect(statuses.sort()).toEqual([200, 400, 400, 400]);
  });
});
