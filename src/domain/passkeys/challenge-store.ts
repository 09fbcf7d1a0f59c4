/** Why a challenge was issued: a response answers only a challenge of its own ceremony. */
export type CeremonyPurpose = 'registration' | 'authentication' | 'second_factor';

export interface PendingChallenge {
  readonly challenge: string;
  /** The user the ceremony is for (registration, second factor); null for a first-factor sign-in. */
  readonly userId: string | null;
  readonly expiresAt: Date;
}

/**
 * The challenges of ceremonies under way, kept on the server (WebAuthn §13.4.3:
 * the RP must check that the response answers the challenge it issued), one
 * per browser session and purpose: asking again replaces it.
 */
export interface ChallengeStore {
  put(sessionId: string, purpose: CeremonyPurpose, challenge: PendingChallenge, now: Date): Promise<void>;
  /** Removes and answers the challenge, so no second response can answer it; undefined when none is live at `now`. */
  take(sessionId: string, purpose: CeremonyPurpose, now: Date): Promise<PendingChallenge | undefined>;
}
