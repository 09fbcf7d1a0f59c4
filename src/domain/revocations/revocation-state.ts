import type { Clock } from '../clock.js';
import type { RevocableToken, RevocationEntry } from './revocation.js';
import type { RevocationStore } from './revocation-store.js';

export interface RevocationStateOptions {
  readonly store: RevocationStore;
  readonly clock: Clock;
  /**
   * How long an entry matters: the longest access-token lifetime of any
   * client plus the clock skew verifiers allow. Past it every token the entry
   * could affect has expired, so memory and the feed are bounded by the
   * revocations of one token lifetime, not by the number of users.
   */
  readonly windowSeconds: number;
}

/** The revoked `sid`s and `sub`s as the feed publishes them: epoch seconds by id. */
export interface RevocationWindow {
  readonly version: number;
  readonly sids: Readonly<Record<string, number>>;
  readonly subs: Readonly<Record<string, number>>;
}

/**
 * This replica's copy of the revocations inside the window, in memory, so
 * bearer routes and introspection judge an access token with two map lookups
 * and no database round trip. It catches up from the store on every
 * notification, after every revocation this replica makes, and on a timer
 * (the fallback when a notification is lost); versions are committed in
 * order (see the migration), so reading "after the version I have" misses
 * nothing.
 */
export class RevocationState {
  readonly #options: RevocationStateOptions;
  readonly #sids = new Map<string, number>();
  readonly #subs = new Map<string, number>();
  #version = 0;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(options: RevocationStateOptions) {
    this.#options = options;
  }

  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#sids.size + this.#subs.size;
  }

  /** RFC 9068 tokens carry `sid` for a login, and every token a `sub` and `iat`. */
  isRevoked(token: RevocableToken): boolean {
    if (token.sid !== undefined && this.#sids.has(token.sid)) return true;
    const cutoff = this.#subs.get(token.sub);
    return cutoff !== undefined && token.iat <= cutoff;
  }

  /**
   * Reads what was recorded since the version held. A call made while a read
   * is under way waits for a fresh one (which may include its own write);
   * concurrent callers share it.
   */
  catchUp(): Promise<void> {
    if (!this.#running) return this.#start();
    this.#queued ??= this.#running.catch(() => {}).then(() => {
      this.#queued = undefined;
      return this.#start();
    });
    return this.#queued;
  }

  /** The entries still inside the window, for the feed. */
  window(): RevocationWindow {
    this.#forgetExpired();
    return { version: this.#version, sids: Object.fromEntries(this.#sids), subs: Object.fromEntries(this.#subs) };
  }

  #start(): Promise<void> {
    const run = this.#load().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #load(): Promise<void> {
    const changes = await this.#options.store.changesSince(this.#version, this.#windowStart());
    if (changes.version <= this.#version) return;
    for (const entry of changes.entries) this.#apply(entry);
    this.#version = changes.version;
    this.#forgetExpired();
  }

  #apply({ kind, id, revokedAt }: RevocationEntry): void {
    const map = kind === 'sid' ? this.#sids : this.#subs;
    map.set(id, Math.max(revokedAt, map.get(id) ?? revokedAt));
  }

  #forgetExpired(): void {
    const start = Math.floor(this.#windowStart().getTime() / 1000);
    for (const map of [this.#sids, this.#subs]) for (const [id, revokedAt] of map) if (revokedAt < start) map.delete(id);
  }

  #windowStart(): Date {
    return new Date(this.#options.clock.now().getTime() - this.#options.windowSeconds * 1000);
  }
}
