import { AppError } from '../errors.js';

/** An address as typed (for display) and its lookup key. */
export interface NormalizedEmail {
  readonly display: string;
  readonly normalized: string;
}

// The WHATWG HTML `type=email` grammar, the one browsers check: no quoted
// local parts or IP literals, which no real sign-up needs. A dot in the
// domain is required on top, so `user@localhost` is refused.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 for a usable forward path. */
const MAX_LOCAL = 64;
const MAX_TOTAL = 254;

/**
 * Trims and checks an address. The lookup key is case-folded as a whole:
 * RFC 5321 lets a local part be case-sensitive, but no mail provider a user
 * would sign up with treats `Ann@` and `ann@` as two people, and two accounts
 * that differ only by case would be an impersonation risk.
 */
export function parseEmail(raw: string): NormalizedEmail | undefined {
  const display = raw.normalize('NFC').trim();
  if (display.length > MAX_TOTAL || !EMAIL.test(display)) return undefined;
  const at = display.lastIndexOf('@');
  if (at > MAX_LOCAL) return undefined;
  return { display, normalized: display.toLowerCase() };
}

export function normalizeEmail(raw: string): NormalizedEmail {
  const email = parseEmail(raw);
  if (!email) throw new AppError('validation_failed', 'email is not a valid address.');
  return email;
}

/** The key rate limits count under: the lookup key when the address is valid, a folded form of the input otherwise. */
export const emailRateKey = (raw: string): string => parseEmail(raw)?.normalized ?? raw.normalize('NFC').trim().toLowerCase().slice(0, MAX_TOTAL);
