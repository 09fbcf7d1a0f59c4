/**
 * Refresh-token families (one per login, its id is the `sid`) and the exact
 * rotation rule, as pure functions of stored state and the clock.
 */

export interface RefreshFamily {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: string;
  /** Generation of the one live token; every lower generation is spent. */
  readonly generation: number;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  /** When and how the user authenticated, for logins made through the browser (OIDC auth_time, amr); null otherwise. */
  readonly authTime: Date | null;
  readonly amr: readonly string[];
  /** The RFC 7638 thumbprint of the DPoP key every refresh must prove (RFC 9449 §5); null when unbound. */
  readonly dpopJkt: string | null;
}

export interface FamilyLifetimes {
  readonly graceSeconds: number;
  readonly idleTtlSeconds: number;
}

/** A family is usable while not revoked, within its absolute lifetime, and used within the idle lifetime. */
export function isFamilyLive(family: Pick<RefreshFamily, 'revokedAt' | 'expiresAt' | 'lastUsedAt'>, now: Date, lifetimes: Pick<FamilyLifetimes, 'idleTtlSeconds'>): boolean {
  return (
    family.revokedAt === null &&
    family.expiresAt.getTime() > now.getTime() &&
    family.lastUsedAt.getTime() + lifetimes.idleTtlSeconds * 1000 > now.getTime()
  );
}

/** The earliest instant before which a family must have been used to still be live. */
export const idleCutoff = (now: Date, lifetimes: Pick<FamilyLifetimes, 'idleTtlSeconds'>): Date =>
  new Date(now.getTime() - lifetimes.idleTtlSeconds * 1000);

export interface SpentTokenPresentation {
  /** Generation of the presented (already spent) token. */
  readonly generation: number;
  readonly spentAt: Date;
  /** The family's live generation now. */
  readonly familyGeneration: number;
}

/**
 * A spent token presented again is one of two things. It is a harmless replay
 * when it is the immediate parent of the live token and was spent less than
 * the grace window ago (a lost response on a flaky network, two tabs refreshing
 * at once): the same successor is answered again. Anything else (an older
 * generation, the parent after the window, the parent of a successor that was
 * itself already used) means two parties hold the family's tokens: theft
 * (RFC 9700 §4.14.2), and the whole family is revoked.
 */
export function judgeSpentPresentation(presented: SpentTokenPresentation, now: Date, lifetimes: Pick<FamilyLifetimes, 'graceSeconds'>): 'replay' | 'reuse' {
  const isImmediateParent = presented.generation + 1 === presented.familyGeneration;
  const withinGrace = now.getTime() - presented.spentAt.getTime() <= lifetimes.graceSeconds * 1000;
  return isImmediateParent && withinGrace ? 'replay' : 'reuse';
}
