import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import type { MailMessage, MailSender } from '../../../src/domain/mail/mail-message.js';
import type { OutboxMessage, OutboxQueue } from '../../../src/domain/mail/outbox.js';
import { backoffDelay, describeSendError, OutboxWorker } from '../../../src/domain/mail/outbox-worker.js';

interface Row extends OutboxMessage {
  status: 'pending' | 'sent' | 'failed';
  due: Date;
  lastError: string | null;
  finishedAt: Date | null;
}

/** The queue's contract in memory: due rows are leased by moving them forward. */
class MemoryQueue implements OutboxQueue {
  readonly rows: Row[] = [];

  add(message: MailMessage, now: Date, giveUpAt: Date) {
    this.rows.push({ ...message, id: String(this.rows.length + 1), attempts: 0, giveUpAt, status: 'pending', due: now, lastError: null, finishedAt: null });
  }

  async claimDue(now: Date, leaseUntil: Date, limit: number) {
    const due = this.rows.filter((row) => row.status === 'pending' && row.due <= now).slice(0, limit);
    for (const row of due) Object.assign(row, { due: leaseUntil, attempts: row.attempts + 1 });
    return due.map((row) => ({ ...row }));
  }

  async markSent(id: string, now: Date) {
    Object.assign(this.find(id), { status: 'sent', finishedAt: now, text: '', html: '' });
  }

  async retryAt(id: string, next: Date, error: string) {
    Object.assign(this.find(id), { due: next, lastError: error });
  }

  async markFailed(id: string, now: Date, error: string) {
    Object.assign(this.find(id), { status: 'failed', finishedAt: now, lastError: error, text: '', html: '' });
  }

  async pruneFinished(cutoff: Date) {
    const before = this.rows.length;
    this.rows.splice(0, this.rows.length, ...this.rows.filter((row) => !row.finishedAt || row.finishedAt > cutoff));
    return before - this.rows.length;
  }

  private find(id: string) {
    const row = this.rows.find((candidate) => candidate.id === id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }
}

class FlakySender implements MailSender {
  readonly sent: MailMessage[] = [];
  failing = false;
  async send(message: MailMessage) {
    if (this.failing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525 (smtp://mailer:hunter2@mail.example)'), { code: 'ECONNECTION' });
    this.sent.push(message);
  }
}

const message = (to: string): MailMessage => ({ kind: 'password_reset', to, subject: 'Reset', text: 'link', html: '<p>link</p>' });
const silentLog = { info: () => {}, warn: () => {}, error: () => {} };

function setup() {
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const queue = new MemoryQueue();
  const sender = new FlakySender();
  const worker = new OutboxWorker({ queue, sender, clock, log: silentLog, pollMs: 60_000, leaseMs: 120_000, backoffMs: 5_000, maxBackoffMs: 600_000, retentionMs: 3_600_000 });
  const hour = new Date(clock.now().getTime() + 3_600_000);
  return { clock, queue, sender, worker, hour };
}

describe('outbox worker', () => {
  it('sends every due message once and erases its body', async () => {
    const { clock, queue, sender, worker, hour } = setup();
    for (const to of ['a@example.test', 'b@example.test']) queue.add(message(to), clock.now(), hour);
    await worker.drain();
    await worker.drain();
    expect(sender.sent.map((m) => m.to)).toEqual(['a@example.test', 'b@example.test']);
    expect(queue.rows.map((row) => [row.status, row.text])).toEqual([['sent', ''], ['sent', '']]);
  });

  it('retries with exponential backoff, keeping an error without credentials, then delivers', async () => {
    const { clock, queue, sender, worker, hour } = setup();
    queue.add(message('a@example.test'), clock.now(), hour);
    sender.failing = true;
    await worker.drain();
    const row = queue.rows[0]!;
    expect(row).toMatchObject({ status: 'pending', attempts: 1, due: new Date(clock.now().getTime() + 5_000) });
    expect(row.lastError).toContain('ECONNECTION');
    expect(row.lastError).not.toContain('hunter2');
    clock.advance(5);
    await worker.drain();
    expect(row).toMatchObject({ attempts: 2, due: new Date(clock.now().getTime() + 10_000) });
    sender.failing = false;
    clock.advance(5);
    await worker.drain();
    expect(sender.sent).toEqual([]);
    clock.advance(5);
    await worker.drain();
    expect(sender.sent).toHaveLength(1);
    expect(row.status).toBe('sent');
  });

  it('gives up once the next attempt would fall after the message lifetime', async () => {
    const { clock, queue, sender, worker } = setup();
    queue.add(message('a@example.test'), clock.now(), new Date(clock.now().getTime() + 12_000));
    sender.failing = true;
    await worker.drain();
    clock.advance(5);
    await worker.drain();
    expect(queue.rows[0]).toMatchObject({ status: 'failed', attempts: 2, text: '' });
    clock.advance(60);
    await worker.drain();
    expect(queue.rows[0]?.attempts).toBe(2);
  });

  it('prunes finished rows after the retention', async () => {
    const { clock, queue, worker, hour } = setup();
    queue.add(message('a@example.test'), clock.now(), hour);
    await worker.drain();
    expect(queue.rows).toHaveLength(1);
    clock.advance(3601);
    await worker.drain();
    expect(queue.rows).toHaveLength(0);
  });

  it('is woken by a commit rather than waiting for its poll', async () => {
    const { clock, queue, sender, worker, hour } = setup();
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    queue.add(message('a@example.test'), clock.now(), hour);
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();
    expect(sender.sent).toHaveLength(1);
  });

  it('caps the backoff and describes unknown errors', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay(attempt, 5_000, 600_000))).toEqual([5_000, 10_000, 20_000]);
    expect(backoffDelay(30, 5_000, 600_000)).toBe(600_000);
    expect(describeSendError(undefined)).toBe('unknown error');
    expect(describeSendError(Object.assign(new Error('Invalid login: 535 denied'), { code: 'EAUTH', responseCode: 535 }))).toBe('EAUTH 535 Invalid login: 535 denied');
  });
});
