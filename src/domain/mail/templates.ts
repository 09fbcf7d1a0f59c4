import type { MailKind, MailMessage } from './mail-message.js';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** One paragraph of a message; a link is a line of its own in the text part. */
type Block = { text: string } | { link: string; label: string };

export interface MailTemplateSettings {
  /** Signs every message and names the service in subjects (SERVICE_NAME). */
  readonly serviceName: string;
  /** Links point here (ISSUER). */
  readonly issuer: string;
}

/**
 * The service's emails, as plain text and HTML. Every value is escaped in the
 * HTML part; the link is the only thing a reader needs to act on, and the
 * text says what to do when the reader did not ask for the message.
 */
export class MailTemplates {
  constructor(private readonly settings: MailTemplateSettings) {}

  verifyEmail(to: string, token: string, ttlHours: number): MailMessage {
    return this.render('email_verification', to, 'Confirm your email address', [
      { text: 'Confirm that this address is yours by opening the link below.' },
      { link: this.url('/verify-email', token), label: 'Confirm my email address' },
      { text: `The link works once and expires in ${ttlHours} hours. If you did not create an account, ignore this message.` },
    ]);
  }

  registrationAttempt(to: string): MailMessage {
    return this.render('registration_attempt', to, 'Someone tried to register with your address', [
      { text: 'Someone tried to create an account with this email address, which already has one. Nothing was changed.' },
      { text: 'If it was you, sign in instead; if you forgot your password, reset it:' },
      { link: `${this.settings.issuer}/password-reset`, label: 'Reset my password' },
      { text: 'If it was not you, you can ignore this message.' },
    ]);
  }

  passwordReset(to: string, token: string, ttlMinutes: number): MailMessage {
    return this.render('password_reset', to, 'Reset your password', [
      { text: 'A password reset was requested for your account. Choose a new password by opening the link below.' },
      { link: this.url('/password-reset/complete', token), label: 'Choose a new password' },
      { text: `The link works once and expires in ${ttlMinutes} minutes. If you did not ask for it, ignore this message: your password stays as it is.` },
    ]);
  }

  passwordChanged(to: string): MailMessage {
    return this.render('password_changed', to, 'Your password was changed', [
      { text: 'The password of your account was just changed, and every device signed in with the old one was signed out.' },
      { text: 'If you did not do this, reset your password now and contact support:' },
      { link: `${this.settings.issuer}/password-reset`, label: 'Reset my password' },
    ]);
  }

  private url(path: string, token: string): string {
    return `${this.settings.issuer}${path}?token=${encodeURIComponent(token)}`;
  }

  private render(kind: MailKind, to: string, subject: string, blocks: Block[]): MailMessage {
    const { serviceName } = this.settings;
    const text = [...blocks.map((block) => ('link' in block ? block.link : block.text)), `— ${serviceName}`].join('\n\n');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24">
${blocks.map((block) => ('link' in block ? `<p><a href="${escapeHtml(block.link)}">${escapeHtml(block.label)}</a></p>` : `<p>${escapeHtml(block.text)}</p>`)).join('\n')}
<p>— ${escapeHtml(serviceName)}</p>
</body></html>
`;
    return { kind, to, subject: `${subject} · ${serviceName}`, text, html };
  }
}
