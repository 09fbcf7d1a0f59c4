import argon2 from 'argon2';
import pLimit, { type LimitFunction } from 'p-limit';
import type { PasswordHasher } from '../domain/users/password-hasher.js';
import type { Argon2Parameters } from '../domain/users/hash-parameters.js';

/**
 * argon2id with the configured parameters, stored as a PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). At most `maxConcurrent` hashes
 * run at once: each holds its memory cost for its whole run, and each takes
 * a libuv thread, which DNS lookups and file reads need too.
 */
export class Argon2PasswordHasher implements PasswordHasher {
  private readonly slot: LimitFunction;

  constructor(
    private readonly parameters: Argon2Parameters,
    maxConcurrent = Number.POSITIVE_INFINITY,
  ) {
    this.slot = pLimit(maxConcurrent);
  }

  hash(password: string): Promise<string> {
    return this.slot(() => argon2.hash(password, { type: argon2.argon2id, ...this.parameters }));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slot(() => argon2.verify(hash, password));
    } catch {
      // A malformed or foreign hash (a placeholder row, a corrupted value) never matches.
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    try {
      return argon2.needsRehash(hash, this.parameters);
    } catch {
      return true;
    }
  }
}
