import type { SigningKeyRecord } from '../domain/keys/signing-key.js';
import type { SigningKeyStore, SigningKeyWriter } from '../domain/keys/signing-key-store.js';
import { NOTIFY_CHANNELS } from './notify-channels.js';
import type { DatabaseHandle, Query } from './database.js';

// Our own advisory lock key ("keys" in ASCII), distinct from Prisma Migrate's (72707369).
const ROTATION_LOCK = 0x6b657973;

interface SigningKeyRow {
  kid: string;
  public_jwk: Record<string, unknown>;
  private_key_enc: Uint8Array;
  created_at: Date;
  activates_at: Date;
  retired_at: Date | null;
  compromised_at: Date | null;
}

/**
 * Signing keys in the `signing_keys` table, in SQL: every replica lists them
 * at start and on each reload. Rotations run in a transaction holding a
 * transaction-scoped advisory lock: replicas queue on it instead of each
 * inserting a key, and PostgreSQL releases it at commit, rollback or a dropped
 * connection, so a replica dying mid-rotation cannot wedge the others.
 */
export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly database: DatabaseHandle) {}

  list(): Promise<SigningKeyRecord[]> {
    return listKeys(this.database.query);
  }

  exclusive<T>(work: (keys: SigningKeyWriter) => Promise<T>): Promise<T> {
    return this.database.transaction(async (query) => {
      await query('SELECT pg_advisory_xact_lock($1::bigint)', [ROTATION_LOCK]);
      let changed = false;
      const result = await work(
        writer(query, () => {
          changed = true;
        }),
      );
      // Delivered at commit: every replica reloads its keys at once (a compromise is refused everywhere within milliseconds).
      if (changed) await query(`SELECT pg_notify('${NOTIFY_CHANNELS.keys}', '')`);
      return result;
    });
  }
}

function writer(query: Query, changed: () => void): SigningKeyWriter {
  return {
    list: () => listKeys(query),
    async insert(key) {
      changed();
      await query(
        `INSERT INTO signing_keys (kid, public_jwk, private_key_enc, created_at, activates_at, retired_at, compromised_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [key.kid, JSON.stringify(key.publicJwk), Buffer.from(key.privateKeyEnc), key.createdAt, key.activatesAt, key.retiredAt, key.compromisedAt],
      );
    },
    async retire(kid, at) {
      changed();
      await query('UPDATE signing_keys SET retired_at = $2 WHERE kid = $1', [kid, at]);
    },
    async markCompromised(kid, at) {
      changed();
      await query('UPDATE signing_keys SET compromised_at = $2 WHERE kid = $1', [kid, at]);
    },
  };
}

async function listKeys(query: Query): Promise<SigningKeyRecord[]> {
  const rows = await query<SigningKeyRow>(
    'SELECT kid, public_jwk, private_key_enc, created_at, activates_at, retired_at, compromised_at FROM signing_keys ORDER BY activates_at',
  );
  return rows.map(toRecord);
}

function toRecord(row: SigningKeyRow): SigningKeyRecord {
  const jwk = row.public_jwk;
  return {
    kid: row.kid,
    publicJwk: { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) },
    privateKeyEnc: new Uint8Array(row.private_key_enc),
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
    compromisedAt: row.compromised_at,
  };
}
