import type { AuthorizationRequest } from './authorization-request.js';

/** An authorization request parked while the user signs in or decides on consent. */
export interface PendingAuthorization {
  readonly request: AuthorizationRequest;
  /** prompt=login or max_age: only a sign-in at or after this instant satisfies the request. */
  readonly loginAfter: Date | null;
}

/** Keyed by the hash of the opaque id the browser carries through the login page. */
export interface AuthorizationRequestStore {
  save(idHash: string, pending: PendingAuthorization, now: Date, expiresAt: Date): Promise<void>;
  /** Undefined when unknown or expired at `now`. */
  find(idHash: string, now: Date): Promise<PendingAuthorization | undefined>;
  delete(idHash: string): Promise<void>;
}
