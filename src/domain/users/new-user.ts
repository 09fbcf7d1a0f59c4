import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { normalizeEmail } from './email.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkNewPassword, normalizePassword, type PasswordPolicy } from './password-policy.js';
import type { Role } from './user.js';
import type { NewUser } from './user-store.js';

/**
 * The row of a new account: email normalised, password checked against the
 * policy and hashed. Hashing comes before any read or insert, so a taken email
 * answers after the same work as a free one.
 */
export async function newUserRecord(
  input: { email: string; password: string; roles?: readonly Role[] },
  deps: { hasher: PasswordHasher; clock: Clock; passwordPolicy: PasswordPolicy },
): Promise<NewUser & { roles: Role[] }> {
  const email = normalizeEmail(input.email);
  checkNewPassword(input.password, deps.passwordPolicy, [email.normalized, email.normalized.split('@')[0] ?? '']);
  const passwordHash = await deps.hasher.hash(normalizePassword(input.password));
  const roles: Role[] = [...new Set<Role>(['user', ...(input.roles ?? [])])];
  return { id: randomUUID(), email: email.display, emailNormalized: email.normalized, passwordHash, roles, createdAt: deps.clock.now() };
}
