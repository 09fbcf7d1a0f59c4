/**
 * A JWKS-like route (a pre-serialised body) behind the first STAGE of the
 * service's per-request layers, each the service's own code: 0 bare Fastify;
 * 1 the service's Fastify (its logger, request ids and X-Request-Id, the
 * access log; the route is quiet, like the JWKS); 2 + the security headers;
 * 3 + the metrics. Prints `{"port":…}` on its first stdout line.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createFastify } from '../src/http/fastify.js';
import { createLogger } from '../src/http/logger.js';
import { metricsPlugin } from '../src/http/ops/metrics.js';
import { QUIET_ROUTE } from '../src/http/quiet-route.js';
import { securityHeadersPlugin, serviceSecurityHeaders } from '../src/http/security-headers.js';
import { sampleJwks } from './lib/sample-jwks.js';

const stage = Number(process.env.STAGE ?? 0);
const body = JSON.stringify(sampleJwks().jwks);

const app: FastifyInstance =
  stage === 0 ? Fastify({ logger: false }) : createFastify(loadConfig({}), createLogger('info', pino.destination({ dest: '/dev/null', sync: false })));
if (stage >= 2) await app.register(securityHeadersPlugin, serviceSecurityHeaders(false));
if (stage >= 3) await app.register(metricsPlugin);
app.get('/jwks', stage === 0 ? {} : QUIET_ROUTE, async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
