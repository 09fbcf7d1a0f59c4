import type { Clock } from '../clock.js';
import type { MailSender } from './mail-message.js';
import type { OutboxMessage, OutboxQueue } from './outbox.js';

/** The log calls the worker makes (pino's shape). */
export interface OutboxLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface OutboxWorkerOptions {
  queue: OutboxQueue;
  sender: MailSender;
  clock: Clock;
  log: OutboxLog;
  /** The fallback when no commit of this process woke the worker (another replica's, a retry falling due). */
  pollMs: number;
  /** How long a claimed message is this worker's: longer than any send may take. */
  leaseMs: number;
  /** The first retry's delay; each further one doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How long sent and failed rows (without their bodies) are kept. */
  retentionMs: number;
  batchSize?: number;
}

/** The transport's error, without anything that could be a credential or a body: its code and first line. */
export function describeSendError(error: unknown): string {
  const { code, responseCode, message } = (error ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const firstLine = typeof message === 'string' ? (message.split('\n')[0] ?? '') : 'unknown error';
  // A URL in the message could carry the SMTP password (smtp://user:pass@host): its userinfo is dropped.
  const safe = firstLine.replace(/\/\/[^/@\s]*@/g, '//').slice(0, 200);
  return [typeof code === 'string' ? code : undefined, typeof responseCode === 'number' ? String(responseCode) : undefined, safe].filter(Boolean).join(' ');
}

/** Delay before attempt `attempts + 1`: exponential, capped. */
export const backoffDelay = (attempts: number, baseMs: number, maxMs: number) => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));

/**
 * Sends what the outbox holds. Woken at once by a commit in this process,
 * and polling as the fallback; several replicas may run one each, the
 * queue's lease makes sure each message is sent by one of them.
 */
export class OutboxWorker {
  readonly #options: Required<OutboxWorkerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(options: OutboxWorkerOptions) {
    this.#options = { batchSize: 20, ...options };
  }

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  /** Sends what is due now (called after a commit that wrote a message). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#draining = this.drain()
      .catch((error: unknown) => this.#options.log.warn({ err: describeSendError(error) }, 'outbox round failed'))
      .finally(() => {
        this.#draining = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else {
          this.#timer = setTimeout(() => this.wake(), this.#options.pollMs).unref();
        }
      });
  }

  /** Waits for the round in flight, and schedules no other. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#draining;
    await this.#options.sender.close?.();
  }

  /** One round: every due message, batch after batch, then the pruning of finished rows. */
  async drain(): Promise<void> {
    const { queue, clock, leaseMs, batchSize, retentionMs } = this.#options;
    for (;;) {
      const now = clock.now();
      const batch = await queue.claimDue(now, new Date(now.getTime() + leaseMs), batchSize);
      for (const message of batch) await this.deliver(message);
      if (batch.length < batchSize || this.#stopped) break;
    }
    await queue.pruneFinished(new Date(clock.now().getTime() - retentionMs), 1000);
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const { queue, sender, clock, log, backoffMs, maxBackoffMs } = this.#options;
    try {
      await sender.send(message);
    } catch (error) {
      const reason = describeSendError(error);
      const now = clock.now();
      const next = new Date(now.getTime() + backoffDelay(message.attempts, backoffMs, maxBackoffMs));
      if (next >= message.giveUpAt) {
        await queue.markFailed(message.id, now, reason);
        log.error({ messageId: message.id, kind: message.kind, attempts: message.attempts, error: reason }, 'email given up');
      } else {
        await queue.retryAt(message.id, next, reason);
        log.warn({ messageId: message.id, kind: message.kind, attempts: message.attempts, retryAt: next.toISOString(), error: reason }, 'email not sent; will retry');
      }
      return;
    }
    await queue.markSent(message.id, clock.now());
    log.info({ messageId: message.id, kind: message.kind, attempts: message.attempts }, 'email sent');
  }
}
