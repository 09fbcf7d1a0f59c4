import type { RevocationChanges } from './revocation.js';

/**
 * Persistence of revocations. Logins are recorded by the stores that revoke
 * them, in the revoking transaction (refresh families, user disable); this
 * port reads them back and records the one kind no other store writes.
 */
export interface RevocationStore {
  /** Entries recorded after `version` and revoked after `notBefore`, with the version now current. */
  changesSince(version: number, notBefore: Date): Promise<RevocationChanges>;
  /** Revokes the subject's access tokens issued at or before `issuedUpTo` (one access token without a login: client credentials). */
  revokeSubject(sub: string, issuedUpTo: Date): Promise<void>;
}
