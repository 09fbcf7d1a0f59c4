import type { SecondFactorKind } from '../mfa/second-factors.js';
import type { Passkeys } from './passkeys.js';

/**
 * Passkeys as a kind of second factor (docs/mfa.md): an account with one
 * needs it, or another factor, after its password; an administrator's reset
 * of lost factors removes them too.
 */
export const passkeyFactorKind = (passkeys: Pick<Passkeys, 'list' | 'removeAll'>): SecondFactorKind => ({
  kind: 'passkey',
  signsIn: true,
  list: async (userId) => (await passkeys.list(userId)).map((passkey) => ({ kind: 'passkey', id: passkey.id, createdAt: passkey.createdAt })),
  reset: async (userId) => void (await passkeys.removeAll(userId)),
});
