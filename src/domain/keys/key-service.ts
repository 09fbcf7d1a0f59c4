import type { KeyObject } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { generateSigningKey } from './key-generation.js';
import { activeKey, isPublished, removalTime, signingKeyPhase, signingKeyStatus, type KeySettings, type SigningKeyStatus } from './key-phase.js';
import type { ActiveSigningKey, KeyRing, PublishedJwks } from './key-ring.js';
import { wrapPrivateKey } from './key-wrap.js';
import { publishJwks } from './jwks.js';
import { planRotation, rotationDue, type RotationReason, type RotationRequest } from './rotation.js';
import type { SigningKeyRecord } from './signing-key.js';
import type { SigningKeyStore } from './signing-key-store.js';
import { openSigningKey, type OpenedSigningKey } from './stored-key.js';

/** The log calls the key service makes (pino's shape). Only kids, dates and error summaries are logged, never key material. */
export interface KeyLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface KeyServiceTiming {
  /** Reload from the store this often, to see keys other replicas created or compromised. */
  reloadMs: number;
  /** Check whether the scheduled rotation is due this often, plus a random delay of up to `rotationJitterMs`. */
  rotationCheckMs: number;
  rotationJitterMs: number;
  /** At most one reload this often on behalf of unknown kids, so tokens with junk kids cannot hammer the database. */
  unknownKidReloadMs: number;
}

const DEFAULT_TIMING: KeyServiceTiming = { reloadMs: 10_000, rotationCheckMs: 60_000, rotationJitterMs: 15_000, unknownKidReloadMs: 5_000 };

export interface KeyServiceOptions {
  store: SigningKeyStore;
  /** The AES-256-GCM key that wraps private keys at rest (the 'signing-key-wrap' subkey). */
  wrapKey: Buffer;
  clock: Clock;
  settings: KeySettings;
  log: KeyLog;
  timing?: Partial<KeyServiceTiming>;
}

export interface RotationResult {
  /** The key this rotation created; absent when none was needed (a rotation already under way, or another replica got there first). */
  readonly created?: SigningKeyStatus;
  /** The key it marked compromised. */
  readonly compromised?: string;
}

export interface RotationEvent {
  readonly reason: RotationReason;
  readonly created?: string;
  readonly compromised?: string;
}

// An RFC 7638 SHA-256 thumbprint in base64url is 43 characters; anything else is not one of ours and never costs a reload.
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The key ring token code signs and verifies with. Keys live in memory,
 * decrypted once; the store is read every few seconds, on an unknown kid
 * (rate-limited) and after a rotation, so signing and verifying never wait on
 * the database in the steady state and keep working through a database outage.
 */
export class KeyService implements KeyRing {
  readonly #store: SigningKeyStore;
  readonly #wrapKey: Buffer;
  readonly #clock: Clock;
  readonly #settings: KeySettings;
  readonly #log: KeyLog;
  readonly #timing: KeyServiceTiming;

  /** Every stored key, newest activation first. */
  #keys: readonly SigningKeyRecord[] = [];
  /** The keys that were not yet removed or compromised at the last load: the only ones signing, JWKS and rotation look at. */
  #live: readonly SigningKeyRecord[] = [];
  #byKid = new Map<string, SigningKeyRecord>();
  /** Decrypted and checked once per kid: a row never changes its key material. */
  readonly #usable = new Map<string, OpenedSigningKey>();
  readonly #unusable = new Set<string>();
  #loadsStarted = 0;
  #loadApplied = 0;
  #jwks: { from: number; until: number; published: PublishedJwks } | undefined;
  #throttledReload: Promise<void> | undefined;
  #lastThrottledReload = -Infinity;
  #reloadTimer: NodeJS.Timeout | undefined;
  #rotationTimer: NodeJS.Timeout | undefined;
  #running = false;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(event: RotationEvent) => void>();

  constructor(options: KeyServiceOptions) {
    this.#store = options.store;
    this.#wrapKey = options.wrapKey;
    this.#clock = options.clock;
    this.#settings = options.settings;
    this.#log = options.log;
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
  }

  /**
   * Loads the keys, creates the first one when none signs (or rotates when a
   * rotation is overdue), then keeps both up to date on timers. Fails when the
   * signing key cannot be decrypted: a service that cannot sign must not start.
   */
  async start(): Promise<void> {
    try {
      await this.reload();
      await this.checkRotation();
    } catch (error) {
      throw new Error(`cannot load the signing keys: ${summary(error)}`, { cause: error });
    }
    if (!this.#currentSigningKey()) {
      const kid = activeKey(this.#live, this.#clock.now(), this.#settings)?.kid ?? 'none';
      throw new Error(`the signing key (${kid}) cannot be decrypted with this KEY_ENCRYPTION_KEY`);
    }
    this.#running = true;
    this.#reloadTimer = setInterval(() => void this.#background('signing key reload', () => this.reload()), this.#timing.reloadMs);
    this.#reloadTimer.unref();
    this.#scheduleRotationCheck();
  }

  /** Stops the timers and waits for work under way, so the database can close after it. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#reloadTimer);
    clearTimeout(this.#rotationTimer);
    // Work under way can start more (a rotation reloads after it commits): wait until none is left.
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  async signingKey(): Promise<ActiveSigningKey> {
    const current = this.#currentSigningKey();
    if (current) return current;
    // Only before the first load, or when every key was lost: reload, and create a key if none signs.
    await this.#reloadThrottled();
    if (!activeKey(this.#live, this.#clock.now(), this.#settings)) await this.#background('signing key creation', () => this.checkRotation());
    const key = this.#currentSigningKey();
    if (!key) throw new AppError('unavailable', 'No signing key is available.', { internal: 'the active signing key is missing or cannot be decrypted' });
    return key;
  }

  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    if (!KID_PATTERN.test(kid)) return undefined;
    // A key another replica just created: its tokens can reach us before our next periodic reload.
    if (!this.#byKid.has(kid)) await this.#reloadThrottled();
    const key = this.#byKid.get(kid);
    if (!key || !isPublished(signingKeyPhase(key, this.#clock.now(), this.#settings))) return undefined;
    return this.#usable.get(kid)?.publicKey;
  }

  async jwks(): Promise<PublishedJwks> {
    const now = this.#clock.now();
    const at = now.getTime();
    // Between loads the set only shrinks, when a retired key reaches its removal time; until then the cached body stands.
    if (this.#jwks && at >= this.#jwks.from && at < this.#jwks.until) return this.#jwks.published;
    const listed = this.#live.filter((key) => this.#usable.has(key.kid) && isPublished(signingKeyPhase(key, now, this.#settings)));
    const removals = listed.flatMap((key) => (key.retiredAt ? [removalTime(key.retiredAt, this.#settings).getTime()] : []));
    const entries = listed.map((key) => ({ kid: key.kid, publicJwk: (this.#usable.get(key.kid) as OpenedSigningKey).publicJwk }));
    this.#jwks = { from: at, until: Math.min(Infinity, ...removals), published: publishJwks(entries) };
    return this.#jwks.published;
  }

  /** Every stored key with its phase now, newest first, as of the last load. */
  status(): SigningKeyStatus[] {
    const now = this.#clock.now();
    return this.#keys.map((key) => signingKeyStatus(key, now, this.#settings));
  }

  /**
   * On-demand rotation (CLI, admin API). Plain: a successor is published now
   * and signs after the pre-publication delay, unless a rotation is already
   * under way. `compromised`: the key that signs now, or `kid`, is unpublished
   * at once and every token it signed fails verification; a leaked signing key
   * is replaced by one that signs immediately. Naming the `kid` makes a retried
   * request harmless (the second finds it already compromised).
   */
  async rotate(options: { compromised?: boolean; kid?: string } = {}): Promise<RotationResult> {
    if (!options.compromised) return this.#rotate({ kind: 'on-demand' });
    let kid = options.kid;
    if (!kid) {
      await this.reload();
      kid = activeKey(this.#live, this.#clock.now(), this.#settings)?.kid;
    }
    return this.#rotate(kid ? { kind: 'compromised', kid } : { kind: 'scheduled' });
  }

  /** Runs the scheduled rotation when due, or creates a key when none signs. Cheap when neither: no lock is taken. */
  async checkRotation(): Promise<RotationResult | undefined> {
    const now = this.#clock.now();
    if (activeKey(this.#live, now, this.#settings) && !rotationDue(this.#live, now, this.#settings)) return undefined;
    return this.#rotate({ kind: 'scheduled' });
  }

  /** Reads the keys from the store and decrypts the ones not seen before. */
  async reload(): Promise<void> {
    const ticket = ++this.#loadsStarted;
    const keys = (await this.#track(this.#store.list())).sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime());
    const now = this.#clock.now();
    const live = keys.filter((key) => isPublished(signingKeyPhase(key, now, this.#settings)));
    await Promise.all(live.map((key) => this.#decrypt(key)));
    // Loads can finish out of order; an older one must not undo a newer one.
    if (ticket < this.#loadApplied) return;
    this.#loadApplied = ticket;
    this.#keys = keys;
    this.#live = live;
    this.#byKid = new Map(keys.map((key) => [key.kid, key]));
    this.#jwks = undefined;
    const liveKids = new Set(live.map((key) => key.kid));
    // Removed and compromised keys never come back: drop their private material from memory.
    for (const kid of this.#usable.keys()) if (!liveKids.has(kid)) this.#usable.delete(kid);
  }

  /** Called after every rotation this process performs (metrics, audit). */
  onRotation(listener: (event: RotationEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #rotate(request: RotationRequest): Promise<RotationResult> {
    const { plan, created } = await this.#track(
      this.#store.exclusive(async (writer) => {
        // Decided inside the lock on rows read inside it, so a replica that lost the race finds the winner's key and does nothing.
        const now = this.#clock.now();
        const rows = await writer.list();
        const current = activeKey(rows, now, this.#settings);
        // A replica or CLI run with another KEY_ENCRYPTION_KEY must not add keys the others cannot decrypt.
        if (current && !(await this.#decrypt(current))) {
          throw new Error(`refusing to rotate: the signing key ${current.kid} cannot be decrypted with this KEY_ENCRYPTION_KEY`);
        }
        const plan = planRotation(rows, request, now, this.#settings);
        if (plan.compromise) await writer.markCompromised(plan.compromise, now);
        for (const { kid, at } of plan.retire) await writer.retire(kid, at);
        if (!plan.create) return { plan, created: undefined };
        const { kid, publicJwk, privateKey } = await generateSigningKey();
        const created: SigningKeyRecord = {
          kid,
          publicJwk,
          privateKeyEnc: wrapPrivateKey(this.#wrapKey, kid, privateKey),
          createdAt: now,
          activatesAt: plan.create.activatesAt,
          retiredAt: null,
          compromisedAt: null,
        };
        await writer.insert(created);
        return { plan, created };
      }),
    );
    // Also after an empty plan: the rows read under the lock may hold a key another replica just made.
    await this.reload();
    if (!plan.reason) return {};
    const event: RotationEvent = { reason: plan.reason, ...(created ? { created: created.kid } : {}), ...(plan.compromise ? { compromised: plan.compromise } : {}) };
    if (plan.compromise) {
      this.#log.warn({ ...event }, 'signing key compromised: unpublished, and every token it signed is rejected');
    }
    if (created) this.#log.info({ ...event, activatesAt: created.activatesAt.toISOString() }, 'signing key created');
    for (const listener of this.#listeners) listener(event);
    return {
      ...(created ? { created: signingKeyStatus(created, this.#clock.now(), this.#settings) } : {}),
      ...(plan.compromise ? { compromised: plan.compromise } : {}),
    };
  }

  /** True when the key decrypts and matches its kid; a key that does not is reported once. */
  async #decrypt(key: SigningKeyRecord): Promise<boolean> {
    if (this.#usable.has(key.kid)) return true;
    if (this.#unusable.has(key.kid)) return false;
    try {
      this.#usable.set(key.kid, await openSigningKey(this.#wrapKey, key));
      return true;
    } catch (error) {
      this.#unusable.add(key.kid);
      this.#log.error({ kid: key.kid, reason: summary(error) }, 'signing key is unusable: left out of signing and the JWKS');
      return false;
    }
  }

  #currentSigningKey(): ActiveSigningKey | undefined {
    const key = activeKey(this.#live, this.#clock.now(), this.#settings);
    const usable = key && this.#usable.get(key.kid);
    return usable ? { kid: (key as SigningKeyRecord).kid, privateKey: usable.privateKey } : undefined;
  }

  /** A reload on behalf of a request: joins one under way, at most one per interval, and a failure leaves the cache as it was. */
  #reloadThrottled(): Promise<void> {
    if (this.#throttledReload) return this.#throttledReload;
    const now = this.#clock.now().getTime();
    if (now - this.#lastThrottledReload < this.#timing.unknownKidReloadMs) return Promise.resolve();
    this.#lastThrottledReload = now;
    this.#throttledReload = this.#background('signing key reload', () => this.reload()).finally(() => {
      this.#throttledReload = undefined;
    });
    return this.#throttledReload;
  }

  #scheduleRotationCheck(): void {
    // Jitter keeps replicas started together from queueing on the rotation lock in the same second.
    const delay = this.#timing.rotationCheckMs + Math.random() * this.#timing.rotationJitterMs;
    this.#rotationTimer = setTimeout(() => {
      void this.#background('scheduled key rotation', () => this.checkRotation()).finally(() => {
        if (this.#running) this.#scheduleRotationCheck();
      });
    }, delay);
    this.#rotationTimer.unref();
  }

  /** Work nobody awaits (timers) or whose failure must not reach a request: tracked for stop(), failures logged. */
  #background(what: string, work: () => Promise<unknown>): Promise<void> {
    return this.#track(
      work().then(
        () => undefined,
        (error: unknown) => this.#log.warn({ reason: summary(error) }, `${what} failed; keeping the keys already loaded`),
      ),
    );
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    promise.then(
      () => this.#inflight.delete(promise),
      () => this.#inflight.delete(promise),
    );
    return promise;
  }
}

// Last line only: Prisma puts the reason there, after lines that can echo the call and its arguments (ciphertext).
const summary = (error: unknown) =>
  error instanceof Error ? (error.message.split('\n').filter((line) => line.trim()).at(-1) ?? error.name) : String(error);
