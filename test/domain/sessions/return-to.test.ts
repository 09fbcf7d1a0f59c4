import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../../src/domain/sessions/return-to.js';
import { OPEN_REDIRECT_PAYLOADS, SAME_ORIGIN_TARGETS } from '../../support/open-redirects.js';

describe('safeReturnTo', () => {
  const issuer = 'https://id.example.com';

  it.each(SAME_ORIGIN_TARGETS)('keeps %j as %j', (value, expected) => expect(safeReturnTo(value, issuer)).toBe(expected));

  it.each([undefined, '', ...OPEN_REDIRECT_PAYLOADS])('refuses %j', (value) => expect(safeReturnTo(value, issuer)).toBeUndefined());

  it('returns a value it would accept again unchanged, under an issuer with a path too', () => {
    for (const base of [issuer, 'https://id.example.com/identity']) {
      for (const [value] of SAME_ORIGIN_TARGETS) {
        const target = safeReturnTo(value, base)!;
        expect(safeReturnTo(target, base)).toBe(target);
        expect(new URL(target, 'https://id.example.com/any/page').origin).toBe('https://id.example.com');
      }
    }
  });
});
