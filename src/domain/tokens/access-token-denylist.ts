/** Access tokens revoked one by one (those without a login family), kept until they expire. */
export interface AccessTokenDenylist {
  add(jti: string, expiresAt: Date, now: Date): Promise<void>;
  has(jti: string): Promise<boolean>;
}
