import { register } from 'node:module';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { FastifyPluginCallback } from 'fastify';
import type { TracingConfig } from '../config/index.js';
import type { RequestTracing } from '../http/tracing.js';
import { RedactingSpanExporter } from './redacting-exporter.js';

// An export (with its retries) gives up after this long. OTLP's default of 10 s kept a service whose
// collector was down alive that long after SIGTERM, flushing its last spans; the grace period is for requests.
const EXPORT_TIMEOUT_MS = 2000;

export interface Tracing {
  readonly requests: RequestTracing;
  /** Exports the spans still buffered, then stops; called last at shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry. Must run before the app's modules load: pg and ioredis
 * are patched as they are imported (the ESM hook below sees the server
 * bundle's imports of them), so the bundle keeps them external. Fastify is in
 * the bundle, out of reach of patching, and is traced by its own plugin
 * instead; fetch through diagnostics channels.
 */
export function startTracing(config: TracingConfig): Tracing {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const Exporter = config.protocol === 'http/json' ? JsonTraceExporter : ProtobufTraceExporter;
  const fastify = new FastifyOtelInstrumentation({
    // Exception events would carry internal error messages and stacks; the status says a request failed.
    recordExceptions: false,
    // url.path is the raw URL, query string included (authorization codes, tokens, return_to).
    requestHook: (span, request) => span.setAttribute('url.path', request.url.split('?', 1)[0]!),
    // A span per hook made a Bearer /v1/me eight spans. These two run after the body is read, where nothing
    // else restores the request's context, and hold the authentication hook's session and account reads.
    instrumentHooks: ['preValidation', 'preHandler'],
  });
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    traceExporter: new RedactingSpanExporter(new Exporter({ url: `${config.endpoint}/v1/traces`, timeoutMillis: EXPORT_TIMEOUT_MS })),
    // Traces only: the service's metrics are Prometheus' (/metrics), its logs go to stdout.
    logRecordProcessors: [],
    instrumentations: [
      fastify,
      // Only queries of a traced request: the background jobs' statements (key reloads, pruning) would be noise.
      // A span per pool checkout would double the spans for what the query's own span already times.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // The command name alone: arguments hold session keys and the rate limiter's per-account keys.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  sdk.start();
  return {
    requests: {
      plugin: fastify.plugin() as FastifyPluginCallback,
      logFields: (request) => {
        const span = request.opentelemetry().span?.spanContext();
        return span ? { trace_id: span.traceId, span_id: span.spanId } : undefined;
      },
    },
    shutdown: () => sdk.shutdown(),
  };
}
