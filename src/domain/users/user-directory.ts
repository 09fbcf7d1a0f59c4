import type { Role } from './user.js';

/** An account as administrators see it: who, which roles, and whether it can sign in. Never the password hash. */
export interface AdminUserRecord {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly disabledAt: Date | null;
  readonly emailVerifiedAt: Date | null;
  readonly createdAt: Date;
  /** The lockout (domain/users/lockout.ts): until when, and the failures counted since the last success. */
  readonly lockedUntil: Date | null;
  readonly failedLoginCount: number;
}

export interface UserSearch {
  /** A substring of the normalised (case-folded) email. */
  readonly email?: string;
  readonly role?: Role;
  readonly disabled?: boolean;
  /** Rows after this position in (created_at, id) order. */
  readonly after?: { readonly createdAt: Date; readonly id: string };
  readonly limit: number;
}

export type RoleChange = 'changed' | 'unchanged' | 'no_such_user';

/** The storage administration needs, beside UserStore: search, roles and re-enabling. */
export interface UserDirectory {
  /** In (created_at, id) order, at most `limit` rows. */
  search(query: UserSearch): Promise<AdminUserRecord[]>;
  find(id: string): Promise<AdminUserRecord | undefined>;
  /** One conditional UPDATE: concurrent grants of one role never store it twice. */
  grantRole(id: string, role: Role, now: Date): Promise<RoleChange>;
  removeRole(id: string, role: Role, now: Date): Promise<RoleChange>;
  /** False when there is no such user. */
  enable(id: string, now: Date): Promise<boolean>;
}
