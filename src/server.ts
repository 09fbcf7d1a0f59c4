import { buildApp } from './app.js';
import { loadConfig } from './config/index.js';
import { runCli } from './cli/run-cli.js';

runCli(async () => {
  const config = loadConfig();
  const app = await buildApp(config);
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
    app.log.info('shut down cleanly');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
});
