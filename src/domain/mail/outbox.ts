import type { MailMessage } from './mail-message.js';

/** A message as the worker claims it. */
export interface OutboxMessage extends MailMessage {
  readonly id: string;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  readonly giveUpAt: Date;
}

/** The write side, used inside the transaction of the event that causes the message. */
export interface OutboxWriter {
  enqueue(message: MailMessage, now: Date, giveUpAt: Date): Promise<void>;
}

/** What the worker needs from storage. */
export interface OutboxQueue {
  /**
   * Claims up to `limit` due messages for this worker alone: they are leased
   * (not due again) until `leaseUntil`, so another replica never sends them
   * at the same time, and a worker that dies mid-send leaves them to the next.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]>;
  /** Marks the message sent and erases its bodies (they carry the link's raw token). */
  markSent(id: string, now: Date): Promise<void>;
  retryAt(id: string, nextAttemptAt: Date, error: string): Promise<void>;
  /** Gives up: status failed, bodies erased, the error kept. */
  markFailed(id: string, now: Date, error: string): Promise<void>;
  /** Deletes sent and failed rows finished before `cutoff`; answers how many. */
  pruneFinished(cutoff: Date, limit: number): Promise<number>;
}
