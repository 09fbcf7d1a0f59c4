import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 with the parameters every authenticator app understands (Google
 * Authenticator ignores anything else): HMAC-SHA-1, 6 digits, 30-second steps.
 * The secret has 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends.
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const SECRET_BYTES = 20;
/** RFC 6238 §5.2: one step either side absorbs clock drift and the time it takes to type the code. */
const WINDOW_STEPS = 1;

const secretOf = (bytes: Uint8Array) => new Secret({ buffer: Uint8Array.from(bytes).buffer });

const totpOf = (bytes: Uint8Array, label = '', issuer = '') =>
  new TOTP({ issuer, label, secret: secretOf(bytes), algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS });

export const newTotpSecret = (): Buffer => Buffer.from(new Secret({ size: SECRET_BYTES }).bytes);

/** The `otpauth://` URI (Key Uri Format) an authenticator scans, labelled with the issuer and the account. */
export const totpUri = (secret: Uint8Array, issuer: string, account: string): string => totpOf(secret, account, issuer).toString();

/** The secret in base32 (RFC 4648), for typing it in by hand. */
export const totpSecretBase32 = (secret: Uint8Array): string => secretOf(secret).base32;

export const looksLikeTotpCode = (code: string): boolean => /^\d{6}$/.test(code);

/** The time step whose code `code` is, within the window around `now`; undefined when it matches none. */
export function totpStepOf(secret: Uint8Array, code: string, now: Date): number | undefined {
  if (!looksLikeTotpCode(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: now.getTime(), window: WINDOW_STEPS });
  return delta === null ? undefined : TOTP.counter({ period: PERIOD_SECONDS, timestamp: now.getTime() }) + delta;
}
