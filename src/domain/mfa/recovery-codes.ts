import { createHmac, randomInt } from 'node:crypto';

/** Ten codes: enough to last until the user regenerates them, few enough to write down. */
export const RECOVERY_CODE_COUNT = 10;
// 32 symbols without the look-alikes 0/o, 1/l: 12 of them are 60 bits, beyond guessing within the lockout's budget.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const LENGTH = 12;

/** A code as shown to the user, in groups of four: `abcd-efgh-jkmn`. */
export function newRecoveryCode(): string {
  const symbols = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return symbols.match(/.{4}/g)!.join('-');
}

/** What the user typed, without case, spaces or dashes. */
export const normalizeRecoveryCode = (typed: string): string => typed.toLowerCase().replace(/[\s-]/g, '');

export const looksLikeRecoveryCode = (typed: string): boolean => new RegExp(`^[${ALPHABET}]{${LENGTH}}$`).test(normalizeRecoveryCode(typed));

/**
 * Stored as an HMAC under a subkey of the master key: with 60 bits a plain
 * hash could be searched offline from a database dump; without the key it
 * cannot.
 */
export const hashRecoveryCode = (key: Buffer, typed: string): string =>
  createHmac('sha256', key).update(normalizeRecoveryCode(typed), 'utf8').digest('base64url');
