/** An authorization code as stored: only its hash, and everything it is bound to (RFC 6749 §4.1.2, OIDC Core §3.1.3.2). */
export interface AuthorizationCode {
  readonly codeHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly codeChallenge: string;
  readonly nonce: string | null;
  /** RFC 9449 §10: only a DPoP proof by this key redeems the code. */
  readonly dpopJkt: string | null;
  /** The browser session that authorized it (its public id): the login it starts ends with that session. */
  readonly browserSessionId: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
  /** The id the login family gets when the code is redeemed, fixed up front so a replay can always name it. */
  readonly familyId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export type Redemption =
  | { readonly outcome: 'redeemed'; readonly code: AuthorizationCode }
  /** Presented again after it was spent: what it issued must die (RFC 6749 §4.1.2). */
  | { readonly outcome: 'replayed'; readonly familyId: string }
  | { readonly outcome: 'unknown' };

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCode): Promise<void>;
  /** Spends the code in one atomic write, so of concurrent presentations exactly one redeems it. */
  redeem(codeHash: string, now: Date): Promise<Redemption>;
}
