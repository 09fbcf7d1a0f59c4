import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
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
import { openDatabase } from './store/open-database.js';
import { applyMigrations, pendingMigrations, readMigrations } from './store/migrations.js';
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

  const database = await openDatabase(config);
  try {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    if (config.database.kind === 'embedded') {
      const applied = await applyMigrations(database.handle, migrations);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(database.handle, migrations);
      if (pending.length > 0) logger.warn({ pending }, 'database schema is behind: run `npm run migrate`');
    }
  } catch (error) {
    await database.close();
    throw error;
  }

  let draining = false;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestId,
    requestIdHeader: false,
    trustProxy: true,
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
  });
  app.addHook('onClose', async () => {
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

  app.decorate('beginDrain', () => {
    draining = true;
  });
  void clock;
  void clients;
  return app;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (HEAD aliases left out); the OpenAPI test compares it with the spec. */
    registeredRoutes: readonly RegisteredRoute[];
    /** Readiness turns 503 so load balancers stop routing here before the server closes. */
    beginDrain(): void;
  }
}
