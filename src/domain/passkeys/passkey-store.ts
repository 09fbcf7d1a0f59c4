import type { NewPasskey, Passkey } from './passkey.js';

/** Persistence of passkeys, as the passkey use-cases need it. */
export interface PasskeyStore {
  /** False when the credential id is already registered (to anyone). */
  create(passkey: NewPasskey): Promise<boolean>;
  listByUser(userId: string): Promise<Passkey[]>;
  findByCredentialId(credentialId: string): Promise<Passkey | undefined>;
  /**
   * Records a verified use: the new counter and backup state. Atomic against
   * a concurrent use of the same credential: false when the stored counter
   * moved past `counter` meanwhile (the same assertion, or a clone's, raced).
   */
  recordUse(id: string, use: { counter: number; backedUp: boolean; at: Date }): Promise<boolean>;
  rename(userId: string, id: string, name: string): Promise<boolean>;
  /** False when the user has no such passkey. */
  remove(userId: string, id: string): Promise<boolean>;
  /** Removes every passkey of the user; answers how many. */
  removeAll(userId: string): Promise<number>;
}
