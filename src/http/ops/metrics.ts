import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/**
 * A registry per app (not prom-client's global), so several apps in one test
 * process do not share counters. Labels use the route pattern, never the raw
 * URL, to keep cardinality bounded.
 */
export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Its `_count` series is the request count: a separate counter would cost every request a second label lookup.
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status code (`_count`: requests)',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.decorate('metrics', registry);
  // The bound series of each (method, route, status), made once: binding one builds and validates a labels object.
  const series = new Map<string, ReturnType<typeof duration.labels>>();
  const seriesOf = (method: string, route: string, statusCode: number) => {
    const key = `${method} ${statusCode} ${route}`;
    let found = series.get(key);
    if (!found) {
      found = duration.labels({ method, route, status_code: String(statusCode) });
      series.set(key, found);
    }
    return found;
  };
  app.addHook('onResponse', (request, reply, done) => {
    seriesOf(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });
});
