import argon2 from 'argon2';
import type { PasswordHasher } from '../domain/users/password-hasher.js';
import type { Argon2Parameters } from '../domain/users/hash-parameters.js';

/** argon2id with the configured parameters, stored as a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
export class Argon2PasswordHasher implements PasswordHasher {
  constructor(private readonly parameters: Argon2Parameters) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.parameters });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
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
