import { describe, expect, it } from 'vitest';
import { MailTemplates } from '../../../src/domain/mail/templates.js';

const templates = new MailTemplates({ serviceName: 'Acme & <Co>', issuer: 'https://id.example.com' });

describe('mail templates', () => {
  it('puts the link on a line of its own in the text part and escapes every value in the HTML part', () => {
    const message = templates.passwordReset('ann@example.com', 'tok"en<', 30);
    expect(message).toMatchObject({ kind: 'password_reset', to: 'ann@example.com', subject: 'Reset your password · Acme & <Co>' });
    expect(message.text.split('\n')).toContain('https://id.example.com/password-reset/complete?token=tok%22en%3C');
    expect(message.text).toContain('expires in 30 minutes');
    expect(message.text.endsWith('— Acme & <Co>')).toBe(true);
    expect(message.html).toContain('href="https://id.example.com/password-reset/complete?token=tok%22en%3C"');
    expect(message.html).toContain('— Acme &amp; &lt;Co&gt;');
    expect(message.html).not.toContain('<Co>');
  });

  it('tells the owner of a taken address what happened, with no link that acts on its own', () => {
    const message = templates.registrationAttempt('ann@example.com');
    expect(message.text).toContain('Nothing was changed');
    expect(message.text).not.toContain('token=');
    expect(templates.verifyEmail('ann@example.com', 'abc', 24).text).toContain('https://id.example.com/verify-email?token=abc');
    expect(templates.passwordChanged('ann@example.com').subject).toContain('Your password was changed');
  });
});
