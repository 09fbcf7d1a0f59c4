import { AppError } from '../errors.js';

/**
 * NIST SP 800-63B §5.1.1.2 (memorized secrets): a minimum length, a generous
 * maximum, every printable character and space allowed, no composition rules,
 * and a check against values known to be common or context-specific.
 */
export interface PasswordPolicy {
  readonly minLength: number;
}

/**
 * Checked before any hashing, so a megabyte of "password" cannot tie up a CPU
 * in argon2 (the body limit alone would still allow 64 KiB).
 */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * §5.1.1.2 asks verifiers to normalise Unicode before hashing, so the same
 * password typed on two keyboards (composed or decomposed accents) matches.
 */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/** Length in characters (code points) as §5.1.1.2 counts them, not UTF-16 units. */
export const passwordLength = (password: string): number => [...password].length;

export const isPasswordTooLong = (password: string): boolean => password.length > MAX_PASSWORD_LENGTH * 2 || passwordLength(password) > MAX_PASSWORD_LENGTH;

// The longest entries of the usual breached-password top lists; shorter ones
// are already below any allowed minimum length.
const COMMON = new Set([
  'password1234', 'password12345', 'password123456', 'passwordpassword', '123456789012', '1234567890123',
  '12345678901234', '123456789abc', 'qwertyuiop12', 'qwertyuiop123', 'qwerty123456', '1q2w3e4r5t6y',
  '1qaz2wsx3edc', 'zaq12wsxcde3', 'iloveyou1234', 'administrator', 'adminadmin123', 'letmein12345',
  'welcome12345', 'changeme1234', 'trustno1trustno1', 'abc123abc123', 'aaaaaaaaaaaa', 'monkey123456',
  'football1234', 'baseball1234', 'superman1234', 'passw0rd1234', 'p@ssw0rd1234', 'p@ssword1234',
  'qwertyqwerty', 'asdfghjkl123', 'correcthorsebatterystaple', 'michael12345', 'sunshine1234',
]);

/** True when the whole password is one character repeated, or one run of consecutive characters ("abcdefgh…", "98765…"). */
function isRepetitiveOrSequential(password: string): boolean {
  const codes = [...password.toLowerCase()].map((c) => c.codePointAt(0) ?? 0);
  if (codes.length < 2) return true;
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  if (Math.abs(step) > 1) return false;
  return codes.every((code, i) => i === 0 || code - (codes[i - 1] ?? 0) === step);
}

/**
 * Throws `weak_password` with a message a form can show as it is. `context`
 * holds values an attacker would try first (the email and its local part).
 */
export function checkNewPassword(password: string, policy: PasswordPolicy, context: readonly string[] = []): void {
  if (isPasswordTooLong(password)) {
    throw new AppError('weak_password', `password must be at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  const normalized = normalizePassword(password);
  if (passwordLength(normalized) < policy.minLength) {
    throw new AppError('weak_password', `password must be at least ${policy.minLength} characters.`);
  }
  const folded = normalized.toLowerCase();
  if (COMMON.has(folded) || isRepetitiveOrSequential(normalized)) {
    throw new AppError('weak_password', 'password is too common or too easy to guess.');
  }
  for (const value of context) {
    if (value && folded === value.toLowerCase()) throw new AppError('weak_password', 'password must not be your email address.');
  }
}
