import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { DestinationStream } from 'pino';
import { projectRoot, type Config } from './config/index.js';
import { loadClientsFile } from './config/clients-file.js';
import { systemClock, type Clock } from './domain/clock.js';
import { clientRegistry } from './domain/clients/client.js';
import { secretHasher } from './domain/clients/secret.js';
import { errorsPlugin } from './http/errors/plugin.js';
import { createLogger } from './http/logger.js';
import { requestId } from './http/request-id.js';
import { metricsPlugin } from './http/ops/metrics.js';
import { opsRoutes } from './http/ops/routes.js';
import { pruningMetrics } from './http/ops/pruning-metrics.js';
import { createPruner } from './pruning.js';
import { jwksRoute } from './http/oauth/jwks-route.js';
import { keyAdminRoutes } from './http/admin/key-routes.js';
import { registerKeyMetrics } from './http/oauth/key-metrics.js';
import { createKeyService } from './signing-keys.js';
import { authenticateClient } from './domain/clients/authenticate.js';
import { deriveSubkey } from './domain/secrets.js';
import { createTokenDomain } from './domain/tokens/token-domain.js';
import type { TokenServices } from './domain/tokens/token-services.js';
import type { ClientRegistry } from './domain/clients/client.js';
import { presentedClient } from './http/oauth/client-auth.js';
import { oauthPlugin } from './http/oauth/plugin.js';
import { tokenMetrics } from './http/oauth/token-metrics.js';
import type { DatabaseHandle } from './store/database.js';
import { PostgresAccessTokenDenylist } from './store/access-token-denylist.js';
import { PostgresRefreshStore } from './store/refresh-store.js';
import { loadMasterKey } from './store/master-key.js';
import { openDatabase } from './store/open-database.js';
import { applyMigrations, pendingMigrations, readMigrations } from './store/migrations.js';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { buildAccounts } from './accounts-container.js';
import { accountsPlugin } from './http/accounts/plugin.js';
import { openRedis } from './store/redis.js';
import './http/route-config.js';

export interface BuildOptions {
  clock?: Clock;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
}

export const MIGRATIONS_DIR = path.join(projectRoot(), 'prisma', 'migrations');

/** Wires store, domain and HTTP into one Fastify instance, without listening. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(config.logLevel, options.logStream);
  const hasher = secretHasher();
  const clients = clientRegistry(loadClientsFile(config.clientsFile, hasher.hash));
  const masterKey = loadMasterKey(config, logger);

  const database = await openDatabase(config);
  const keys = createKeyService(config, { prisma: database.prisma, masterKey, clock, log: logger });
  try {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    if (config.database.kind === 'embedded') {
      const applied = await applyMigrations(database.handle, migrations);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(database.handle, migrations);
      if (pending.length > 0) logger.warn({ pending }, 'database schema is behind: run `npm run migrate`');
    }
    // Loads the signing keys; on first start creates the one that signs.
    await keys.start();
  } catch (error) {
    await keys.stop();
    await database.close();
    throw error;
  }

  let draining = false;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Two lines per request is the largest CPU cost of a cheap request (see the README's Performance section).
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : (config.trustProxy as boolean | string[]),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false },
  });
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
  });
  app.decorate('registeredRoutes', routes);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While draining, each answer closes its keep-alive connection, so clients reconnect
    // through the load balancer (to a ready replica) instead of reusing a socket that is about to go.
    if (draining) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    // Key timers and their queries end before the pool closes.
    await keys.stop();
    await database.close();
  });

  await app.register(errorsPlugin);
  await app.register(metricsPlugin);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(opsRoutes, {
    checkDatabase: () => database.handle.ping(),
    isDraining: () => draining,
    readinessTimeoutMs: Math.min(2000, config.databaseTimeoutMs),
  });
  const pruner = createPruner(config, { database: database.handle, clock, log: logger, metrics: pruningMetrics(app.metrics) });
  // onClose hooks run last-registered first: the pruner stops before the hook above closes the pool.
  app.addHook('onClose', async () => {
    await pruner.stop();
  });
  app.addHook('onReady', async () => pruner.start());
  const redis = config.redisUrl ? openRedis(config.redisUrl, logger, config.databaseTimeoutMs) : undefined;
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  const secure = new URL(config.issuer).protocol === 'https:';
  // Security headers on every answer; an API needs no CSP source at all (the login page sets its own).
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
    hsts: secure ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  // Limits are per route (login, sign-up); counts live in Redis when there is one, so replicas share them.
  // A Redis outage lets requests through rather than failing every login: the per-account lockout still holds.
  await app.register(rateLimit, { global: false, skipOnError: true, nameSpace: 'idsvc:rate:', ...(redis ? { redis } : {}) });
  const accounts = buildAccounts({ config, clock, prisma: database.prisma, redis, masterKey });
  await app.register(accountsPlugin, {
    config,
    clock,
    ...accounts,
    clients,
    tokens: () => app.tokens,
    sweepSessions: accounts.sessionStore.sweep?.bind(accounts.sessionStore),
  });

  app.decorate('keyRing', keys);
  app.decorate('keyService', keys);
  registerKeyMetrics(app.metrics, keys);
  await app.register(jwksRoute, { keyRing: keys, maxAgeSeconds: config.keys.jwksMaxAgeSeconds });
  await app.register(keyAdminRoutes, { keys });

  const tokenCounters = tokenMetrics(app.metrics);
  const tokens = createTokenDomain({
    keys,
    store: new PostgresRefreshStore(database.handle),
    denylist: new PostgresAccessTokenDenylist(database.handle),
    clients,
    clock,
    accessToken: { issuer: config.issuer, ...config.accessToken },
    lifetimes: config.refresh,
    successorKey: deriveSubkey(masterKey, 'refresh-successor'),
    events: {
      graceReplay: tokenCounters.graceReplay,
      reuseDetected: (familyId) => {
        tokenCounters.reuseDetected();
        logger.warn({ familyId }, 'refresh token reuse detected: family revoked');
      },
    },
  });
  app.decorate('database', database.handle);
  app.decorate('clients', clients);
  app.decorate('tokens', tokens.services);
  await app.register(oauthPlugin, {
    grants: tokens.grants,
    introspect: tokens.introspect,
    revoke: tokens.revoke,
    authenticate: (request) => authenticateClient(presentedClient(request), clients, hasher),
    onIssued: tokenCounters.issued,
    discovery: {
      issuer: config.issuer,
      scopes: [...new Set(clients.all().flatMap((client) => client.scopes))],
      maxAgeSeconds: config.keys.jwksMaxAgeSeconds,
    },
  });

  app.decorate('beginDrain', () => {
    draining = true;
  });
  return app;
}

/** Trusts the first `hops` proxies in front of the service (proxy-addr's hop-count rule). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The database the app runs on (readiness, tests). */
    database: DatabaseHandle;
    clients: ClientRegistry;
    /** Login, revocation and access-token verification, for the accounts and session surfaces. */
    tokens: TokenServices;
    /** Every route as registered (HEAD aliases left out); the OpenAPI test compares it with the spec. */
    registeredRoutes: readonly RegisteredRoute[];
    /** Readiness turns 503 so load balancers stop routing here before the server closes. */
    beginDrain(): void;
  }
}
