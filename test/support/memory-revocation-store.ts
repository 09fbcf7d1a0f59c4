import type { RevocationEntry } from '../../src/domain/revocations/revocation.js';
import type { RevocationStore } from '../../src/domain/revocations/revocation-store.js';

/** Revocations in memory, numbered like the table: each `record` is one transaction, one version. */
export class MemoryRevocationStore implements RevocationStore {
  readonly rows: { version: number; entry: RevocationEntry }[] = [];
  reads = 0;
  version = 0;

  record(...entries: RevocationEntry[]) {
    this.version += 1;
    for (const entry of entries) this.rows.push({ version: this.version, entry });
  }

  async changesSince(version: number, notBefore: Date) {
    this.reads += 1;
    const cutoff = notBefore.getTime() / 1000;
    return { version: this.version, entries: this.rows.filter((row) => row.version > version && row.entry.revokedAt > cutoff).map((row) => row.entry) };
  }

  async revokeSubject(sub: string, issuedUpTo: Date) {
    this.record({ kind: 'sub', id: sub, revokedAt: Math.floor(issuedUpTo.getTime() / 1000) });
  }
}
