/**
 * A revocation as replicas and the feed see it. `sid`: the login is over,
 * every access token carrying it is revoked. `sub`: every access token of the
 * subject issued at or before `revokedAt` (its `iat`) is revoked. Times are
 * epoch seconds, as in the tokens they are compared with.
 */
export interface RevocationEntry {
  readonly kind: 'sid' | 'sub';
  readonly id: string;
  readonly revokedAt: number;
}

/** What changed after a version: the entries still inside the window, and the version they bring the reader to. */
export interface RevocationChanges {
  readonly version: number;
  readonly entries: readonly RevocationEntry[];
}

/** The claims of an access token that revocation is judged on. */
export interface RevocableToken {
  readonly sub: string;
  readonly iat: number;
  readonly sid?: string;
}
