import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { MIGRATIONS_DIR } from '../../src/composition/database.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Clock } from '../../src/domain/clock.js';
import { openDatabase } from '../../src/store/open-database.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { checkResponse } from './openapi.js';
import type { DatabaseTarget } from './databases.js';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Raw log text, for checks that no secret appears anywhere. */
  logText(): string;
  /** Responses that did not match openapi.yaml. */
  specViolations: string[];
  /** The environment that points at this app's database (for `replicaOf`). */
  databaseEnv: Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Runs on the built app before it is ready (a test-only route, say); such routes are exempt from the spec check. */
  extend?: (app: FastifyInstance) => void;
  /** Another replica: the database of this app, already migrated, which the other one drops. */
  replicaOf?: TestApp;
}

/**
 * Builds the production app through the same buildApp, on a fresh database of
 * the given target with the real migrations applied. Every response is checked
 * against openapi.yaml.
 */
export async function startTestApp(target: DatabaseTarget, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.replicaOf ? { env: options.replicaOf.databaseEnv, drop: async () => {} } : await target.create();
  const config = loadConfig({ LOG_LEVEL: 'info', ...database.env, ...options.env });
  if (config.database.kind === 'postgres' && !options.replicaOf) {
    const db = await openDatabase(config);
    await applyMigrations(db.handle, await readMigrations(MIGRATIONS_DIR));
    await db.close();
  }
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  const app = await buildApp(config, { logStream: stream, ...(options.clock ? { clock: options.clock } : {}) });
  const specViolations: string[] = [];
  const testRoutes = new Set<string>();
  app.addHook('onRoute', (route) => {
    testRoutes.add(route.url);
  });
  options.extend?.(app);
  app.addHook('onSend', async (request, reply, payload) => {
    if (testRoutes.has(request.routeOptions.url ?? '')) return payload;
    if (typeof payload === 'string' || payload === null || payload === undefined) {
      const route = request.routeOptions.url;
      if (route) {
        const problem = checkResponse(request.method, route, reply.statusCode, reply.getHeader('content-type') as string | undefined, payload ?? '');
        if (problem) specViolations.push(problem);
      }
    }
    return payload;
  });
  await app.ready();
  return {
    app,
    config,
    get logs() {
      return raw
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => raw,
    specViolations,
    databaseEnv: database.env,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
