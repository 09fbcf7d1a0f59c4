import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { DestinationStream } from 'pino';
import type { Config } from './config/index.js';
import { loadClientsFile } from './config/clients-file.js';
import { buildAccounts, buildAdministration } from './composition/accounts.js';
import { buildAuthorization } from './composition/authorization.js';
import { openReadyDatabase } from './composition/database.js';
import { createKeyService } from './composition/keys.js';
import { createPruner } from './composition/pruning.js';
import { buildRevocations } from './composition/revocations.js';
import { buildTokens } from './composition/tokens.js';
import { buildDpop } from './composition/dpop.js';
import { buildMail } from './composition/mail.js';
import { buildMfa } from './composition/mfa.js';
import { passkeyFactorKind } from './domain/passkeys/passkey-factor.js';
import { authenticateClient } from './domain/clients/authenticate.js';
import { clientRegistry, type ClientRegistry } from './domain/clients/client.js';
import { secretHasher } from './domain/clients/secret.js';
import { systemClock, type Clock } from './domain/clock.js';
import type { TokenServices } from './domain/tokens/token-services.js';
import { accountsPlugin } from './http/accounts/plugin.js';
import { authPlugin } from './http/auth/plugin.js';
import { errorsPlugin } from './http/errors/plugin.js';
import { createFastify } from './http/fastify.js';
import { createLogger } from './http/logger.js';
import { presentedClient } from './http/oauth/client-auth.js';
import { jwksRoute } from './http/oauth/jwks-route.js';
import { registerKeyMetrics } from './http/oauth/key-metrics.js';
import { oauthPlugin } from './http/oauth/plugin.js';
import { metricsPlugin } from './http/ops/metrics.js';
import { pruningMetrics } from './http/ops/pruning-metrics.js';
import { opsRoutes } from './http/ops/routes.js';
import { securityHeadersPlugin, serviceSecurityHeaders } from './http/security-headers.js';
import { tracingPlugin, type RequestTracing } from './http/tracing.js';
import type { DatabaseHandle } from './store/database.js';
import { loadMasterKey } from './store/master-key.js';
import { openRedis } from './store/redis.js';

export interface BuildOptions {
  clock?: Clock;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  /** OpenTelemetry's request tracing (src/telemetry), when server.ts started it. */
  tracing?: RequestTracing;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The database the app runs on (readiness, tests). */
    database: DatabaseHandle;
    clients: ClientRegistry;
    /** Login, revocation and access-token verification, for the accounts and session surfaces. */
    tokens: TokenServices;
  }
}

/**
 * The composition root: builds stores and use-cases from configuration and
 * registers the HTTP surfaces on one Fastify instance, without listening.
 * Production (`server.ts`) and tests build the app through this one function.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(config.logLevel, options.logStream);
  const hasher = secretHasher();
  const clients = clientRegistry(loadClientsFile(config.clientsFile, hasher.hash));
  const masterKey = loadMasterKey(config, logger);
  if (config.httpsIssuer && config.trustProxy === false) {
    logger.warn('ISSUER is https but TRUST_PROXY is false: behind a TLS-terminating proxy no session cookie will be set');
  }

  const database = await openReadyDatabase(config, logger);
  const keys = createKeyService(config, { database: database.handle, masterKey, clock, log: logger });
  try {
    // Loads the signing keys; on first start creates the one that signs.
    await keys.start();
  } catch (error) {
    await keys.stop();
    await database.close();
    throw error;
  }
  const redis = config.redisUrl ? openRedis(config.redisUrl, logger, config.databaseTimeoutMs) : undefined;

  const app = createFastify(config, logger);
  // onClose hooks run in reverse order of registration: Redis, then the pruner and keys, then the pool.
  app.addHook('onClose', async () => {
    await keys.stop();
    await database.close();
  });
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  app.decorate('database', database.handle);
  app.decorate('clients', clients);

  // First, so every hook and route registered after it is traced.
  if (options.tracing) await app.register(tracingPlugin, { tracing: options.tracing });
  await app.register(errorsPlugin);
  await app.register(metricsPlugin);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(securityHeadersPlugin, serviceSecurityHeaders(config.httpsIssuer));
  // Limits are per route (login, sign-up); counts live in Redis when there is one, so replicas share them.
  // A Redis outage lets requests through rather than failing every login: the per-account lockout still holds.
  await app.register(rateLimit, { global: false, skipOnError: true, nameSpace: 'idsvc:rate:', ...(redis ? { redis } : {}) });

  await app.register(opsRoutes, {
    checkDatabase: () => database.handle.ping(),
    isDraining: () => app.isDraining(),
    readinessTimeoutMs: Math.min(2000, config.databaseTimeoutMs),
  });
  const revocations = buildRevocations({ config, clock, database, keys, clients, log: logger });
  // Before serving: a replica that does not know the revocations yet would accept revoked tokens. Stopped before the pool closes.
  app.addHook('onReady', async () => revocations.sync.start());
  app.addHook('onClose', async () => revocations.sync.stop());
  const pruner = createPruner(config, {
    database: database.handle,
    clock,
    log: logger,
    metrics: pruningMetrics(app.metrics),
    revocationWindowSeconds: revocations.windowSeconds,
  });
  app.addHook('onReady', async () => pruner.start());
  app.addHook('onClose', async () => pruner.stop());

  const tokens = buildTokens({ config, clock, database: database.handle, keys, masterKey, metrics: app.metrics, log: logger, revocations });
  const dpop = buildDpop({ config, clock, redis, masterKey });
  app.decorate('tokens', tokens.services);

  const accounts = await buildAccounts({ config, clock, database, redis, masterKey });
  // The outbox worker sends from the first moment the app serves, and is stopped before the pool closes.
  const mail = buildMail({ config, clock, database: database.handle, audit: accounts.audit, hasher: accounts.hasher, log: logger });
  app.addHook('onReady', async () => mail.worker.start());
  app.addHook('onClose', async () => mail.worker.stop());
  const mfa = buildMfa({ config, clock, database: database.handle, masterKey, audit: accounts.audit, extraKinds: [passkeyFactorKind(accounts.passkeys)] });
  const administration = buildAdministration({ ...accounts, clock, database: database.handle, factors: mfa.factors, revokeTokenFamilies: tokens.services.revokeUserLogins });
  // The authentication preHandler, for every route registered after it that declares `auth`.
  await app.register(authPlugin, { accounts: accounts.accounts, sessions: accounts.sessions, tokens: tokens.services, issuer: config.issuer, dpop });
  const oidc = { ...buildAuthorization({ config, clock, database: database.handle, clients, tokens: tokens.services, hasSecondFactor: (userId) => mfa.factors.isEnrolled(userId) }), idTokens: tokens.idTokens, issuer: config.issuer };
  await app.register(accountsPlugin, { config, clock, ...accounts, clients, tokens: tokens.services, keys, oidc, dpop, lifecycle: mail.lifecycle, mfa, administration });

  app.decorate('keyRing', keys);
  app.decorate('keyService', keys);
  registerKeyMetrics(app.metrics, keys);
  await app.register(jwksRoute, { keyRing: keys, maxAgeSeconds: config.keys.jwksMaxAgeSeconds });
  await app.register(oauthPlugin, {
    grants: tokens.grants,
    introspect: tokens.introspect,
    revoke: tokens.revoke,
    authenticate: (request) => authenticateClient(presentedClient(request), clients, hasher),
    onIssued: tokens.onIssued,
    revocationFeed: { feed: revocations.feed, ...config.revocationFeed },
    dpop,
    issuer: config.issuer,
    discovery: {
      issuer: config.issuer,
      scopes: [...new Set(clients.all().flatMap((client) => client.scopes))],
      maxAgeSeconds: config.keys.jwksMaxAgeSeconds,
    },
  });
  return app;
}
