import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets (refresh tokens, authorization codes, session ids):
 * 256 bits from the CSPRNG, base64url. Only their SHA-256 is stored; with
 * 256 bits of entropy a fast hash is enough to make a database dump useless.
 */
export const newOpaqueToken = (): string => randomBytes(32).toString('base64url');

export const hashOpaqueToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('base64url');

/**
 * The successor of a refresh token is a keyed function of the token itself, so
 * a replay of the parent within the grace window can answer the very same
 * successor without any raw token ever being stored. The key is server-side:
 * without it, a thief holding a spent parent could compute the live successor.
 */
export const successorOf = (parent: string, key: Buffer): string =>
  createHmac('sha256', key).update(parent, 'utf8').digest('base64url');

/** Refresh tokens and codes are exactly what newOpaqueToken makes; anything else is rejected before hashing. */
export const looksLikeOpaqueToken = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);
