export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The roles we know among stored or claimed ones; anything else grants nothing. */
export const knownRoles = (values: readonly string[] | null | undefined): Role[] =>
  (values ?? []).filter((value): value is Role => (ROLES as readonly string[]).includes(value));

export interface User {
  readonly id: string;
  /** As the user typed it. */
  readonly email: string;
  readonly emailNormalized: string;
  readonly passwordHash: string;
  readonly roles: readonly Role[];
  readonly disabledAt: Date | null;
  /** When the owner proved they receive mail at `email` (OIDC `email_verified`); null until then. */
  readonly emailVerifiedAt: Date | null;
  readonly createdAt: Date;
}

/** What the API shows of a user. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
}

export const viewOf = (user: Pick<User, 'id' | 'email' | 'roles'>): UserView => ({ id: user.id, email: user.email, roles: user.roles });
