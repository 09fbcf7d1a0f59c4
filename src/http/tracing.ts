import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * What the HTTP layer needs from OpenTelemetry (src/telemetry builds it, only
 * when tracing is on): Fastify's instrumentation plugin, and the ids of a
 * request's trace for its log lines.
 */
export interface RequestTracing {
  /** Traces every request, route and hook registered after it. */
  readonly plugin: FastifyPluginCallback;
  /** `trace_id` and `span_id` of the request's span; undefined when it is not traced. */
  logFields(request: FastifyRequest): Readonly<Record<string, string>> | undefined;
}

/**
 * Registered before every surface. Each request's logger (and its reply's, which
 * writes the access-log line) carries the trace id, so a log line leads to its
 * trace and back.
 */
export const tracingPlugin = fp<{ tracing: RequestTracing }>(
  async (app, { tracing }) => {
    await app.register(tracing.plugin);
    app.addHook('onRequest', (request, reply, done) => {
      const fields = tracing.logFields(request);
      if (fields) request.log = reply.log = request.log.child(fields);
      done();
    });
  },
  { name: 'tracing' },
);
