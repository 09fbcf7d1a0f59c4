import { loadConfig } from './config/index.js';
import { runCli } from './cli/run-cli.js';

runCli(async () => {
  const config = loadConfig();
  // Tracing starts before the app's modules load, so the instrumentations can patch pg and ioredis as they
  // are imported; with tracing off the SDK is never loaded (the bundle keeps it in a chunk of its own).
  const tracing = config.tracing ? (await import('./telemetry/start-tracing.js')).startTracing(config.tracing) : undefined;
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config, tracing ? { tracing: tracing.requests } : {});
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ address, issuer: config.issuer, database: config.database.kind }, `identity service listening on ${address}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: readiness is now 503');
    app.beginDrain();
    await new Promise((resolve) => setTimeout(resolve, config.shutdown.delayMs));
    // app.close() stops accepting, lets in-flight requests finish, then closes the database pool.
    const forced = setTimeout(() => {
      app.log.error('in-flight requests did not finish within SHUTDOWN_GRACE_MS; exiting');
      process.exit(1);
    }, config.shutdown.graceMs);
    forced.unref();
    await app.close();
    clearTimeout(forced);
    // The last requests' spans; a collector that is down costs them, not the exit code.
    await tracing?.shutdown().catch((error: unknown) => app.log.warn({ err: error }, 'could not export the last spans'));
    app.log.info('shut down cleanly');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
});
