/** What kind of event a message tells of; the outbox keeps it for the operator's view (never the body). */
export type MailKind = 'email_verification' | 'registration_attempt' | 'password_reset' | 'password_changed';

/** A rendered email: a plain-text part and an HTML part, the same words in both. */
export interface MailMessage {
  readonly kind: MailKind;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The transport port: SMTP in production, the log and a file in development (src/mail). */
export interface MailSender {
  /** Resolves once the transport accepted the message; throws when it did not. */
  send(message: MailMessage): Promise<void>;
  close?(): Promise<void>;
}
