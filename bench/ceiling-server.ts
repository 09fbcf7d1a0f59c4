/**
 * The ceilings' server, run as its own process like the service: a bare
 * Fastify (same version, no logger, no hooks) with one route per ceiling.
 * Prints `{"port":…, "token":…}` on its first stdout line.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createSigner, createVerifier } from 'fast-jwt';
import { sampleJwks } from './lib/sample-jwks.js';

const ISSUER = 'http://ceiling.bench';
const { privateKey, publicKey, kid, jwks: CONSTANT } = sampleJwks();

// The library and options the service signs and verifies with (src/domain/tokens/access-tokens.ts).
const signer = createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: 'ES256', kid, header: { alg: 'ES256', typ: 'at+jwt' } });
const verify = createVerifier({
  key: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  algorithms: ['ES256'],
  allowedIss: ISSUER,
  allowedAud: 'api',
  checkTyp: 'at+jwt',
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
  clockTolerance: 30_000,
});

/** The same claims the service puts in a user access token. */
const sign = () => {
  const iat = Math.floor(Date.now() / 1000);
  return signer({
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
    email: 'bench-user@example.com',
  });
};

const app = Fastify({ logger: false });
app.get('/constant', async () => CONSTANT);
app.get('/sign', async () => ({ access_token: sign(), token_type: 'Bearer', expires_in: 900 }));
app.get('/verify', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'no token' });
  const payload = verify(token);
  return { id: payload.sub, roles: payload.roles };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, token: sign() })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
