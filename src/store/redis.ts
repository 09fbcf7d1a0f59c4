import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The one Redis connection of the process (sessions, rate limits). Commands
 * fail fast while Redis is unreachable instead of queueing without bound, so
 * a request answers 503 rather than hanging; the client reconnects by itself.
 */
export function openRedis(url: string, log: Pick<Logger, 'warn'>, timeoutMs: number): Redis {
  // A Redis command takes well under a millisecond: anything near two seconds means it is gone.
  const bound = Math.min(timeoutMs, 2000);
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: bound,
    commandTimeout: bound,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reported = false;
  redis.on('error', (error: NodeJS.ErrnoException) => {
    // Logged once per outage, not once per reconnection attempt.
    if (!reported) log.warn({ code: error.code }, 'redis unreachable; retrying');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}
