import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/domain/errors.js';
import { emailRateKey, parseEmail } from '../../../src/domain/users/email.js';
import { meetsOwaspMinimum } from '../../../src/domain/users/hash-parameters.js';
import { checkNewPassword, isPasswordTooLong, normalizePassword } from '../../../src/domain/users/password-policy.js';

describe('parseEmail', () => {
  it('trims, keeps the display form and case-folds the lookup key', () => {
    expect(parseEmail('  Ann.Lee+tag@Example.COM ')).toEqual({ display: 'Ann.Lee+tag@Example.COM', normalized: 'ann.lee+tag@example.com' });
  });

  it.each(['', 'plain', 'a@b', '@example.com', 'a@@example.com', 'a b@example.com', 'a@-example.com', 'a@example..com', `${'x'.repeat(65)}@example.com`, `a@${'x'.repeat(250)}.com`])(
    'refuses %j',
    (value) => expect(parseEmail(value)).toBeUndefined(),
  );

  it('keys rate limits on the folded address, valid or not', () => {
    expect(emailRateKey(' ANN@example.com')).toBe(emailRateKey('ann@EXAMPLE.com'));
    expect(emailRateKey('Not An Email')).toBe('not an email');
  });
});

describe('password policy', () => {
  const policy = { minLength: 12 };
  const reason = (password: string, context: string[] = []) => {
    try {
      checkNewPassword(password, policy, context);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      return (error as AppError).detail;
    }
  };

  it('counts characters, not UTF-16 units', () => {
    expect(reason('🙂'.repeat(11) + 'x')).toBeUndefined();
    expect(reason('🙂'.repeat(10) + 'x')).toContain('at least 12');
  });

  it('has no composition rules', () => {
    expect(reason('all lowercase words here')).toBeUndefined();
  });

  it('refuses over 1024 characters before anything else', () => {
    expect(isPasswordTooLong('x'.repeat(1025))).toBe(true);
    expect(isPasswordTooLong('x'.repeat(1024))).toBe(false);
    expect(reason('x'.repeat(5000))).toContain('at most 1024');
  });

  it('refuses common, repetitive, sequential and context-specific passwords', () => {
    expect(reason('Password1234')).toContain('too common');
    expect(reason('zzzzzzzzzzzzzz')).toContain('too common');
    expect(reason('123456789012')).toContain('too common');
    expect(reason('zyxwvutsrqponm')).toContain('too common');
    expect(reason('ann.lee@example.com', ['ann.lee@example.com'])).toContain('email');
  });

  it('normalises Unicode (NFKC) so composed and decomposed input match', () => {
    expect(normalizePassword('cafe\u0301 au lait')).toBe(normalizePassword('caf\u00e9 au lait'));
  });
});

describe('argon2id parameters', () => {
  it.each([
    [{ memoryCost: 19456, timeCost: 2 }, true],
    [{ memoryCost: 47104, timeCost: 1 }, true],
    [{ memoryCost: 7168, timeCost: 5 }, true],
    [{ memoryCost: 7168, timeCost: 9 }, true],
    [{ memoryCost: 19455, timeCost: 2 }, false],
    [{ memoryCost: 19456, timeCost: 1 }, false],
  ])('%j meets the OWASP minimum: %s', (parameters, expected) => expect(meetsOwaspMinimum(parameters)).toBe(expected));
});
