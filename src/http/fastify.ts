import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { AccessLog } from './access-log.js';
import { answerClientError } from './errors/client-error.js';
import { requestId } from './request-id.js';
import './route-config.js';

export interface RegisteredRoute {
  method: string;
  url: string;
  schema?: FastifySchema;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (HEAD aliases left out); the OpenAPI test compares it with the spec. */
    registeredRoutes: readonly RegisteredRoute[];
    /** Readiness turns 503 so load balancers stop routing here before the server closes. */
    beginDrain(): void;
    isDraining(): boolean;
  }
}

/** How late past its limit a request that is too slow may be cut off. */
const TIMEOUT_CHECK_INTERVAL_MS = 500;

/** Trusts the first `hops` proxies in front of the service (proxy-addr's hop-count rule). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** The Fastify instance with the server-wide behaviour every surface shares: request ids, route listing, draining. */
export function createFastify(config: Config, logger: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new AccessLog({ disableRequestLogging: !config.logRequests }),
    bodyLimit: config.bodyLimitBytes,
    // Fastify leaves Node's request timeout off (0); a request that does not arrive in time is answered 408 and closed.
    requestTimeout: config.httpTimeouts.requestMs,
    keepAliveTimeout: config.httpTimeouts.keepAliveMs,
    http: {
      headersTimeout: config.httpTimeouts.headersMs,
      requestTimeout: config.httpTimeouts.requestMs,
      // Node looks for overdue requests this often (30 s by default, which would let a slow body live twice the limit).
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: answerClientError,
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : (config.trustProxy as boolean | string[]),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false },
    // Route schemas are code: test/openapi/spec.test.ts checks each against the meta-schema,
    // instead of every start compiling the meta-schema first.
    ajv: { customOptions: { validateSchema: false } },
  });

  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, ...(route.schema ? { schema: route.schema } : {}) });
    }
  });
  app.decorate('registeredRoutes', routes);

  let draining = false;
  app.decorate('beginDrain', () => {
    draining = true;
  });
  app.decorate('isDraining', () => draining);
  // Callback-style hooks here and in the other every-request plugins: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // While draining, each answer closes its keep-alive connection, so clients reconnect
    // through the load balancer (to a ready replica) instead of reusing a socket that is about to go.
    if (draining) reply.header('connection', 'close');
    done();
  });
  return app;
}
