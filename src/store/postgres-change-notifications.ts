import pg from 'pg';
import type { ChangeNotifications } from '../domain/revocations/change-notifications.js';
import { channelOf } from './notify-channels.js';

type Handlers = Parameters<ChangeNotifications['listen']>[0];

/**
 * LISTEN on a connection of its own (a pooled one would lose the
 * subscription when returned). When it drops, it reconnects every
 * `retryMs` and then reports a gap: what was notified meanwhile is lost, and
 * the listener reloads everything.
 */
export function postgresChangeNotifications(options: { url: string; timeoutMs: number; retryMs: number; log: { warn(fields: object, message: string): void } }): ChangeNotifications {
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const connect = async (handlers: Handlers) => {
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.timeoutMs, keepAlive: true });
    client.on('notification', (message) => {
      const channel = channelOf.get(message.channel);
      if (channel) handlers.onChange(channel);
    });
    // 'end' follows every error that loses the connection.
    client.on('error', () => {});
    client.on('end', () => {
      if (current !== client) return;
      current = undefined;
      options.log.warn({}, 'lost the connection that listens for changes from other replicas; reconnecting');
      schedule(handlers);
    });
    try {
      await client.connect();
      for (const name of channelOf.keys()) await client.query(`LISTEN ${name}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await client.end();
      return;
    }
    current = client;
  };

  const schedule = (handlers: Handlers) => {
    if (closed) return;
    retry = setTimeout(() => {
      connect(handlers).then(
        () => handlers.onGap(),
        () => schedule(handlers),
      );
    }, options.retryMs);
    retry.unref();
  };

  return {
    async listen(handlers) {
      try {
        await connect(handlers);
      } catch (error) {
        options.log.warn({ reason: (error as Error).message }, 'cannot listen for changes from other replicas yet; relying on the periodic reload meanwhile');
        schedule(handlers);
      }
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}
