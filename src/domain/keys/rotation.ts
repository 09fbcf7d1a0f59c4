import { AppError } from '../errors.js';
import { activeKey, signingKeyPhase, type KeySettings } from './key-phase.js';
import type { SigningKeyRecord } from './signing-key.js';

const DAY_MS = 86_400_000;

type Keys = readonly SigningKeyRecord[];

/**
 * True when the scheduled rotation should start: a key signs, no successor is
 * published yet, and the successor must appear now to take over
 * `rotationDays` after the current key activated.
 */
export function rotationDue(keys: Keys, now: Date, settings: KeySettings): boolean {
  const active = activeKey(keys, now, settings);
  if (!active || hasPending(keys, now, settings)) return false;
  const handover = active.activatesAt.getTime() + settings.rotationDays * DAY_MS;
  return now.getTime() >= handover - settings.prepublishSeconds * 1000;
}

export type RotationRequest =
  /** The timer and start-up: rotate when due, or create a key when none signs (first start). */
  | { readonly kind: 'scheduled' }
  /** An operator: start a rotation unless one is already under way. */
  | { readonly kind: 'on-demand' }
  /** An operator: `kid` leaked. Naming the key makes a retried or duplicated request harmless. */
  | { readonly kind: 'compromised'; readonly kid: string };

export type RotationReason = 'bootstrap' | 'scheduled' | 'on-demand' | 'compromised';

/** The writes a rotation makes, all in one transaction. An empty plan writes nothing. */
export interface RotationPlan {
  readonly reason?: RotationReason;
  readonly compromise?: string;
  readonly retire: readonly { readonly kid: string; readonly at: Date }[];
  readonly create?: { readonly activatesAt: Date };
}

const NOTHING: RotationPlan = { retire: [] };

/**
 * Pure: decides a rotation from the keys as they are inside the rotation lock.
 * Deciding there, on fresh rows, is what makes replicas that race agree: the
 * second one to get the lock finds the first one's key and has nothing to do.
 */
export function planRotation(keys: Keys, request: RotationRequest, now: Date, settings: KeySettings): RotationPlan {
  const active = activeKey(keys, now, settings);
  if (request.kind === 'compromised') return planCompromise(keys, request.kid, now, settings);
  // No key signs (first start): one that signs at once, or nothing could be issued.
  if (!active) return createKey(keys, now, settings, { reason: 'bootstrap', activatesAt: now });
  if (request.kind === 'scheduled' && !rotationDue(keys, now, settings)) return NOTHING;
  if (request.kind === 'on-demand' && hasPending(keys, now, settings)) return NOTHING;
  return createKey(keys, now, settings, { reason: request.kind, activatesAt: afterPrepublication(now, settings) });
}

function planCompromise(keys: Keys, kid: string, now: Date, settings: KeySettings): RotationPlan {
  const target = keys.find((key) => key.kid === kid);
  if (!target) throw new AppError('not_found', `No signing key ${kid}.`);
  const phase = signingKeyPhase(target, now, settings);
  if (phase === 'compromised') return NOTHING;
  // Retired or removed: it signs nothing more, so unpublishing it is all there is to do.
  if (phase !== 'active' && phase !== 'published') return { reason: 'compromised', compromise: kid, retire: [] };
  // A leaked signing key is replaced at once: no pre-publication, since every moment it signs is worse than
  // verifiers refetching the JWKS. A leaked successor that never signed is replaced by another, published as usual.
  const activatesAt = phase === 'active' ? now : afterPrepublication(now, settings);
  return createKey(keys, now, settings, { reason: 'compromised', activatesAt, compromise: kid });
}

/**
 * A new key activating at `activatesAt`. The key signing now, and any successor
 * that was waiting, stop at that instant, so exactly one key signs at any time.
 */
function createKey(keys: Keys, now: Date, settings: KeySettings, plan: { reason: RotationReason; activatesAt: Date; compromise?: string }): RotationPlan {
  const { activatesAt, compromise } = plan;
  const retire = keys.flatMap((key) => {
    const phase = signingKeyPhase(key, now, settings);
    if (key.kid === compromise) return phase === 'active' ? [{ kid: key.kid, at: now }] : [];
    if (phase === 'active') return [{ kid: key.kid, at: activatesAt }];
    if (phase === 'published' && (!key.retiredAt || key.retiredAt.getTime() > activatesAt.getTime())) return [{ kid: key.kid, at: activatesAt }];
    return [];
  });
  return { reason: plan.reason, retire, create: { activatesAt }, ...(compromise ? { compromise } : {}) };
}

const afterPrepublication = (now: Date, settings: KeySettings) => new Date(now.getTime() + settings.prepublishSeconds * 1000);

const hasPending = (keys: Keys, now: Date, settings: KeySettings) =>
  keys.some((key) => signingKeyPhase(key, now, settings) === 'published');
