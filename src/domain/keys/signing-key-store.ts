import type { SigningKeyRecord } from './signing-key.js';

/** The persistence the key service needs; implemented in store/signing-key-store.ts. */
export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>;
  /**
   * Runs `work` in one transaction holding a lock that every replica sharing
   * the database contends for, so rotations never interleave: whoever comes
   * second reads the first one's committed rows.
   */
  exclusive<T>(work: (keys: SigningKeyWriter) => Promise<T>): Promise<T>;
}

export interface SigningKeyWriter {
  list(): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  retire(kid: string, at: Date): Promise<void>;
  markCompromised(kid: string, at: Date): Promise<void>;
}
