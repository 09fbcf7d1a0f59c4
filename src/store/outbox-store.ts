import { randomUUID } from 'node:crypto';
import type { MailKind, MailMessage } from '../domain/mail/mail-message.js';
import type { OutboxMessage, OutboxQueue, OutboxWriter } from '../domain/mail/outbox.js';
import type { DatabaseHandle, Query } from './database.js';

interface MessageRow {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
  give_up_at: Date;
}

/** Writes a message with whatever transaction `query` belongs to. */
export const outboxWriter = (query: Query): OutboxWriter => ({
  async enqueue(message: MailMessage, now: Date, giveUpAt: Date) {
    await query(
      `INSERT INTO outbox_messages (id, kind, recipient, subject, text_body, html_body, next_attempt_at, created_at, give_up_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`,
      [randomUUID(), message.kind, message.to, message.subject, message.text, message.html, now, giveUpAt],
    );
  },
});

/**
 * The outbox in SQL. Claiming is one statement: `FOR UPDATE SKIP LOCKED`
 * lets concurrent workers (replicas) each take different rows without
 * waiting, and moving `next_attempt_at` to the lease's end is the claim, so
 * no transaction stays open while SMTP talks.
 */
export class PostgresOutbox implements OutboxQueue {
  constructor(private readonly database: DatabaseHandle) {}

  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]> {
    const rows = await this.database.query<MessageRow>(
      `WITH due AS (
         SELECT id FROM outbox_messages WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE outbox_messages m SET next_attempt_at = $2, attempts = m.attempts + 1
       FROM due WHERE m.id = due.id
       RETURNING m.id, m.kind, m.recipient, m.subject, m.text_body, m.html_body, m.attempts, m.give_up_at`,
      [now, leaseUntil, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind as MailKind,
      to: row.recipient,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
      attempts: row.attempts,
      giveUpAt: row.give_up_at,
    }));
  }

  async markSent(id: string, now: Date): Promise<void> {
    await this.database.query(
      `UPDATE outbox_messages SET status = 'sent', finished_at = $2, text_body = NULL, html_body = NULL, last_error = NULL WHERE id = $1`,
      [id, now],
    );
  }

  async retryAt(id: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.database.query(`UPDATE outbox_messages SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND status = 'pending'`, [id, nextAttemptAt, error]);
  }

  async markFailed(id: string, now: Date, error: string): Promise<void> {
    await this.database.query(
      `UPDATE outbox_messages SET status = 'failed', finished_at = $2, text_body = NULL, html_body = NULL, last_error = $3 WHERE id = $1`,
      [id, now, error],
    );
  }

  async pruneFinished(cutoff: Date, limit: number): Promise<number> {
    const rows = await this.database.query(
      `DELETE FROM outbox_messages WHERE id IN (SELECT id FROM outbox_messages WHERE finished_at <= $1 LIMIT $2) RETURNING id`,
      [cutoff, limit],
    );
    return rows.length;
  }
}
