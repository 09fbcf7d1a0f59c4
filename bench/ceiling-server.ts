/**
 * The ceilings' server, run as its own process like the service: a bare
 * Fastify (same version, no logger, no hooks) with one route per ceiling.
 * Prints `{"port":…, "token":…}` on its first stdout line.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { systemClock } from '../src/domain/clock.js';
import type { KeyRing } from '../src/domain/keys/key-ring.js';
import { AccessTokens } from '../src/domain/tokens/access-tokens.js';
import { sampleJwks } from './lib/sample-jwks.js';

const { privateKey, publicKey, kid, jwks: CONSTANT } = sampleJwks();

// One key, always there: the service's key ring costs a signature or a verification one Map lookup.
const keyRing: KeyRing = {
  signingKey: async () => ({ kid, privateKey }),
  verificationKey: async (requested) => (requested === kid ? publicKey : undefined),
  jwks: async () => ({ body: JSON.stringify(CONSTANT), etag: `"${kid}"` }),
};
// The service's own token code: what a signature or a verification costs the service, and nothing else.
const tokens = new AccessTokens(keyRing, { issuer: 'http://ceiling.bench', ttlSeconds: 900, clockSkewSeconds: 30, audience: 'api' }, systemClock);

/** The same claims the service puts in a user access token. */
const sign = async () =>
  (
    await tokens.issue({
      sub: randomUUID(),
      aud: 'api',
      clientId: 'mobile',
      scope: 'openid profile offline_access',
      sid: randomUUID(),
      roles: ['user'],
      email: 'bench-user@example.com',
    })
  ).token;

const app = Fastify({ logger: false });
app.get('/constant', async () => CONSTANT);
app.get('/sign', async () => ({ access_token: await sign(), token_type: 'Bearer', expires_in: 900 }));
app.get('/verify', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'no token' });
  const claims = await tokens.verify(token);
  return { id: claims.sub, roles: claims.roles };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, token: await sign() })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
