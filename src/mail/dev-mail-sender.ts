import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { MailMessage, MailSender } from '../domain/mail/mail-message.js';

export interface DevMailLog {
  info(fields: object, message: string): void;
}

const LINK = /https?:\/\/\S+/g;

/**
 * The development transport, used when SMTP_URL is unset: each message is
 * logged (recipient, subject and its links, so the developer can click
 * them) and written as an .eml file under `directory`. Never for production:
 * the log then holds live reset links.
 */
export class DevMailSender implements MailSender {
  readonly #transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  #count = 0;

  constructor(
    private readonly directory: string,
    private readonly from: string,
    private readonly log: DevMailLog,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const info = await this.#transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const file = join(this.directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++this.#count}-${message.kind}.eml`);
    await writeFile(file, info.message as Buffer, { mode: 0o600 });
    this.log.info({ mail: { to: message.to, subject: message.subject, links: message.text.match(LINK) ?? [], file } }, 'email written (development transport: set SMTP_URL to send)');
  }
}
