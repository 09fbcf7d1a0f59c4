import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { QUIET_ROUTE } from '../quiet-route.js';

export interface OpsOptions {
  /** Resolves when the database answers; rejects otherwise. */
  checkDatabase(): Promise<void>;
  /** True once shutdown began: load balancers must stop sending traffic. */
  isDraining(): boolean;
  readinessTimeoutMs: number;
}

export async function opsRoutes(app: FastifyInstance, options: OpsOptions) {
  app.get('/healthz', QUIET_ROUTE, async () => ({ status: 'ok' }));

  app.get('/readyz', QUIET_ROUTE, async () => {
    if (options.isDraining()) throw new AppError('unavailable', 'The service is shutting down.');
    try {
      await withTimeout(options.checkDatabase(), options.readinessTimeoutMs);
    } catch (error) {
      throw new AppError('unavailable', 'The database is unreachable.', { cause: error, internal: `readiness: ${String(error)}` });
    }
    return { status: 'ready' };
  });

  app.get('/metrics', QUIET_ROUTE, async (_request, reply) => {
    reply.type(app.metrics.contentType);
    return app.metrics.metrics();
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
