/** The scopes a user allowed a client, remembered until revoked. */
export interface Consent {
  readonly clientId: string;
  readonly scope: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ConsentStore {
  find(userId: string, clientId: string): Promise<Consent | undefined>;
  /** Adds `scope` to what the user already allowed the client (the union). */
  grant(userId: string, clientId: string, scope: string, now: Date): Promise<void>;
  list(userId: string): Promise<Consent[]>;
  /** False when there was nothing to revoke. */
  revoke(userId: string, clientId: string): Promise<boolean>;
}
