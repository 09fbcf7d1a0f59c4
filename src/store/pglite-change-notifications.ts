import type { PGlite } from '@electric-sql/pglite';
import type { ChangeNotifications } from '../domain/revocations/change-notifications.js';
import { channelOf } from './notify-channels.js';

/** The embedded database serves one process: PGlite delivers its own NOTIFYs to its listeners, and nothing is ever lost. */
export function pgliteChangeNotifications(pglite: PGlite): ChangeNotifications {
  const unsubscribe: (() => Promise<void>)[] = [];
  return {
    async listen(handlers) {
      for (const [name, channel] of channelOf) unsubscribe.push(await pglite.listen(name, () => handlers.onChange(channel)));
    },
    async close() {
      if (!pglite.closed) await Promise.all(unsubscribe.splice(0).map((stop) => stop()));
    },
  };
}
