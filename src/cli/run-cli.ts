import { ConfigError } from '../config/index.js';
import { MigrationError } from '../store/migrations.js';

/**
 * Runs a command-line entry point. Known failures (bad configuration, a
 * migration that cannot apply, an unreachable database) print one clear line
 * and exit 1; no stack trace reaches an operator's terminal.
 */
export function runCli(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${describeFailure(error)}\n`);
      process.exit(1);
    },
  );
}

export function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof MigrationError) return error.message;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === '28P01' || code === '3D000') {
    return `Database unreachable (${code}): check DATABASE_URL`;
  }
  if (code === 'EADDRINUSE' || code === 'EACCES') return `Cannot listen (${code}): check PORT and HOST`;
  return `Failed to start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
}
