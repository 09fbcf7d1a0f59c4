import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../../src/store/database.js';

/** Inserts a user row directly, for suites that test token machinery below the accounts API. */
/** The address `insertUser` gives an account. */
export const emailOfInsertedUser = (id: string) => `${id}@example.test`;

export async function insertUser(db: DatabaseHandle, roles: string[] = ['user']): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await db.query(
    `INSERT INTO users (id, email, email_normalized, password_hash, roles, password_changed_at, created_at, updated_at)
     VALUES ($1, $2, $2, 'not-a-login-user', $3, $4, $4, $4)`,
    [id, emailOfInsertedUser(id), roles, now],
  );
  return id;
}
