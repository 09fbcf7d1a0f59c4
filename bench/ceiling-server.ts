/**
 * The ceilings' server, run as its own process like the service: a bare
 * Fastify (same version, no logger, no hooks) with one route per ceiling.
 * Prints `{"port":…, "token":…}` on its first stdout line.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { sampleJwks } from './lib/sample-jwks.js';

const ISSUER = 'http://ceiling.bench';
const { privateKey, publicKey, kid, jwks: CONSTANT } = sampleJwks();

/** The same claims the service puts in a user access token. */
const sign = () => {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    sub: randomUUID(),
    aud: 'api',
    exp: iat + 900,
    iat,
    jti: randomUUID(),
    client_id: 'mobile',
    scope: 'openid profile offline_access',
    sid: randomUUID(),
    roles: ['user'],
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .sign(privateKey);
};

const app = Fastify({ logger: false });
app.get('/constant', async () => CONSTANT);
app.get('/sign', async () => ({ access_token: await sign(), token_type: 'Bearer', expires_in: 900 }));
app.get('/verify', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'no token' });
  const { payload } = await jwtVerify(token, publicKey, { algorithms: ['ES256'], issuer: ISSUER, audience: 'api', typ: 'at+jwt', clockTolerance: 30 });
  return { id: payload.sub, roles: payload.roles };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, token: await sign() })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
