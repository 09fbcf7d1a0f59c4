import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are long random strings, so a keyed fast hash is enough (a
 * slow password hash would only cost CPU on every token request). The key is
 * per process: secrets are re-hashed from the file at every start.
 */
export function secretHasher(key: Buffer = randomBytes(32)) {
  const hash = (secret: string) => createHmac('sha256', key).update(secret, 'utf8').digest();
  return {
    hash,
    /** Constant-time comparison of a presented secret with a stored hash. */
    matches: (presented: string, stored: Buffer) => timingSafeEqual(hash(presented), stored),
  };
}

export type SecretHasher = ReturnType<typeof secretHasher>;
