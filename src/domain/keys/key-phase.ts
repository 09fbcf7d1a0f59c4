import type { SigningKeyRecord } from './signing-key.js';

/** What the key lifecycle depends on, from configuration. */
export interface KeySettings {
  /** A key signs this long before the next one takes over. */
  readonly rotationDays: number;
  /** A new key is in the JWKS this long before it signs, so verifiers' cached JWKS already hold it. */
  readonly prepublishSeconds: number;
  /**
   * How long a retired key stays published: the longest an access token it
   * signed can still be accepted (its lifetime plus the verifiers' clock skew).
   */
  readonly retentionSeconds: number;
}

/**
 * published: in the JWKS, not signing yet.
 * active: the key that signs (the latest one to activate, when several could).
 * retired: no longer signs; published while its tokens may still be valid.
 * removed: out of the JWKS; its tokens have all expired.
 * compromised: out of the JWKS at once and its tokens rejected.
 */
export type KeyPhase = 'published' | 'active' | 'retired' | 'removed' | 'compromised';

type Dates = Pick<SigningKeyRecord, 'activatesAt' | 'retiredAt' | 'compromisedAt'>;

/** Pure: the phase of one key at `now`, from its own dates. */
export function signingKeyPhase(key: Dates, now: Date, settings: KeySettings): KeyPhase {
  if (key.compromisedAt) return 'compromised';
  const at = now.getTime();
  if (key.retiredAt) {
    if (at >= removalTime(key.retiredAt, settings).getTime()) return 'removed';
    // Checked before activation: a key retired before it ever signed is simply on its way out.
    if (at >= key.retiredAt.getTime()) return 'retired';
  }
  return at < key.activatesAt.getTime() ? 'published' : 'active';
}

/** When a key retired at `retiredAt` leaves the JWKS: the last token it signed has expired by then. */
export const removalTime = (retiredAt: Date, settings: KeySettings): Date =>
  new Date(retiredAt.getTime() + settings.retentionSeconds * 1000);

/** Phases whose keys are in the JWKS and verify tokens. */
export const isPublished = (phase: KeyPhase): boolean => phase === 'published' || phase === 'active' || phase === 'retired';

/** The key that signs at `now`: not retired, not compromised, with the latest activation at or before `now`. */
export function activeKey<K extends Dates>(keys: readonly K[], now: Date, settings: KeySettings): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (signingKeyPhase(key, now, settings) !== 'active') continue;
    if (!best || key.activatesAt.getTime() > best.activatesAt.getTime()) best = key;
  }
  return best;
}

/** What an operator sees about a key (`npm run keys -- list`, the admin API): dates only, never key material. */
export interface SigningKeyStatus {
  readonly kid: string;
  readonly phase: KeyPhase;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly retiredAt: Date | null;
  /** When it leaves (or left) the JWKS; null while it is not retired. */
  readonly removedAt: Date | null;
  readonly compromisedAt: Date | null;
}

export function signingKeyStatus(key: SigningKeyRecord, now: Date, settings: KeySettings): SigningKeyStatus {
  return {
    kid: key.kid,
    phase: signingKeyPhase(key, now, settings),
    createdAt: key.createdAt,
    activatesAt: key.activatesAt,
    retiredAt: key.retiredAt,
    removedAt: key.compromisedAt ?? (key.retiredAt && removalTime(key.retiredAt, settings)),
    compromisedAt: key.compromisedAt,
  };
}
