import type { RevocationReason } from './token-services.js';
import type { RefreshFamily } from './refresh-family.js';

export interface NewFamily {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The browser session that authorized the login (authorization-code flow), which ends it when it ends. */
  readonly browserSessionId: string | null;
  readonly authTime: Date | null;
  readonly amr: readonly string[];
  /** Public clients' logins made with a DPoP proof are bound to its key (RFC 9449 §5). */
  readonly dpopJkt: string | null;
}

/** What a successful rotation hands back: enough to mint the next access token. */
export interface RotatedFamily {
  readonly familyId: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly roles: readonly string[];
  readonly email: string;
  readonly emailVerifiedAt: Date | null;
  readonly authTime: Date | null;
  readonly amr: readonly string[];
}

/** A presented token that did not rotate, with its family, as read in the judging transaction. */
export interface PresentedToken {
  readonly generation: number;
  readonly spentAt: Date | null;
  readonly family: RefreshFamily;
  readonly roles: readonly string[];
  readonly email: string;
  readonly emailVerifiedAt: Date | null;
  readonly userDisabled: boolean;
}

export interface ReuseAudit {
  readonly clientId: string;
  readonly ip: string | null;
}

/**
 * Persistence of refresh families. `rotate` is the hot path and the only
 * way a token is spent: one atomic conditional write that exactly one caller
 * can win. Everything else about a presented token is decided by the domain
 * inside `judge`'s transaction.
 */
export interface RefreshStore {
  createFamily(family: NewFamily, firstTokenHash: string): Promise<void>;

  /**
   * Spends `tokenHash` if it is the live, unspent token of a live family of
   * `clientId` whose user is enabled, advances the family one generation and
   * stores `successorHash` as the new live token; all in one atomic statement.
   * A family bound to a DPoP key rotates only when `dpopJkt` is that key.
   * Undefined when it did not (unknown, spent, dead family, other client, other key).
   */
  rotate(input: { tokenHash: string; successorHash: string; clientId: string; now: Date; idleCutoff: Date; dpopJkt: string | null }): Promise<RotatedFamily | undefined>;

  /**
   * Loads the presented token and its family with the family row locked, runs
   * `decide`, and when it answers 'revoke' revokes the family and records the
   * audit event in that same transaction.
   */
  judge<T>(
    tokenHash: string,
    decide: (presented: PresentedToken | undefined) => { verdict: 'keep' | 'revoke'; result: T },
    onRevoke: { reason: RevocationReason; now: Date; audit: ReuseAudit },
  ): Promise<T>;

  /** The family of a refresh token, if the token exists (spent or not). */
  findByToken(tokenHash: string): Promise<{ family: RefreshFamily; spent: boolean } | undefined>;
  revokeFamily(familyId: string, reason: RevocationReason, now: Date): Promise<boolean>;
  revokeUserFamilies(userId: string, reason: RevocationReason, now: Date, exceptFamilyId?: string): Promise<number>;
  listLiveFamilies(userId: string, now: Date, idleCutoff: Date): Promise<(RefreshFamily & { userAgent: string | null; ip: string | null })[]>;
  /** Ids of the unrevoked, unexpired families a browser session authorized. */
  familiesOfBrowserSession(browserSessionId: string, now: Date): Promise<string[]>;
  moveBrowserSessionFamilies(fromSessionId: string, toSessionId: string): Promise<void>;
}
