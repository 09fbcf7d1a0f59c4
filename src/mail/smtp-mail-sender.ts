import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, MailSender } from '../domain/mail/mail-message.js';

/** Bounds each step of a send, so a silent server fails an attempt (the outbox retries) rather than holding the worker. */
const SMTP_TIMEOUT_MS = 20_000;

/** Sends through the SMTP server of `SMTP_URL` (smtp:// with STARTTLS when offered, smtps:// for implicit TLS). */
export class SmtpMailSender implements MailSender {
  readonly #transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.#transport = nodemailer.createTransport({
      url,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
      // nodemailer's own logger is off: it would print message bodies, and so link tokens.
      logger: false,
    } as Parameters<typeof nodemailer.createTransport>[0]);
  }

  async send(message: MailMessage): Promise<void> {
    await this.#transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
