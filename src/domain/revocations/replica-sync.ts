import type { ChangeChannel, ChangeNotifications } from './change-notifications.js';
import type { RevocationState } from './revocation-state.js';

export interface ReplicaSyncOptions {
  readonly notifications: ChangeNotifications;
  readonly revocations: RevocationState;
  /** The signing keys, reloaded when a replica rotates, compromises or retires one. */
  readonly keys: { reload(): Promise<void> };
  /** The fallback: revocations are read this often even when no notification came (KEY_RELOAD_SECONDS, like the keys). */
  readonly reloadMs: number;
  readonly log: { warn(fields: object, message: string): void };
}

/**
 * Keeps this replica's revocations and keys current: at once on a
 * notification, in full after a gap in them, and on a timer regardless.
 */
export class ReplicaSync {
  readonly #options: ReplicaSyncOptions;
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ReplicaSyncOptions) {
    this.#options = options;
  }

  /** Loads the revocations (a replica must not serve before it knows them), then listens. */
  async start(): Promise<void> {
    const { notifications, revocations, reloadMs } = this.#options;
    await revocations.catchUp();
    await notifications.listen({
      onChange: (channel) => this.#reload(channel),
      onGap: () => {
        this.#reload('revocations');
        this.#reload('keys');
      },
    });
    this.#timer = setInterval(() => this.#reload('revocations'), reloadMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#options.notifications.close();
    await Promise.allSettled([...this.#inflight]);
  }

  #reload(channel: ChangeChannel): void {
    const work = channel === 'keys' ? this.#options.keys.reload() : this.#options.revocations.catchUp();
    const tracked = work.catch((error: unknown) => {
      this.#options.log.warn({ channel, reason: error instanceof Error ? error.message : String(error) }, 'reload after a change failed; the periodic reload retries');
    });
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
  }
}
