import type { SigningKeyRecord } from '../domain/keys/signing-key.js';
import type { SigningKeyStore, SigningKeyWriter } from '../domain/keys/signing-key-store.js';
import type { Prisma, PrismaClient, SigningKey } from './prisma/generated/client.js';

// Our own advisory lock key ("keys" in ASCII), distinct from Prisma Migrate's (72707369).
const ROTATION_LOCK = 0x6b657973;

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Signing keys in the `signing_keys` table. Rotations run in a transaction
 * holding a transaction-scoped advisory lock: replicas queue on it instead of
 * each inserting a key, and PostgreSQL releases it at commit, rollback or a
 * dropped connection, so a replica dying mid-rotation cannot wedge the others.
 */
export class PrismaSigningKeyStore implements SigningKeyStore {
  constructor(private readonly prisma: PrismaClient) {}

  list(): Promise<SigningKeyRecord[]> {
    return listKeys(this.prisma);
  }

  exclusive<T>(work: (keys: SigningKeyWriter) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ROTATION_LOCK}::bigint)`;
        return work(writer(tx));
      },
      // Replicas rotating at once wait for each other's (short) transactions.
      { maxWait: 10_000, timeout: 30_000 },
    );
  }
}

function writer(tx: Prisma.TransactionClient): SigningKeyWriter {
  return {
    list: () => listKeys(tx),
    async insert(key) {
      await tx.signingKey.create({
        data: {
          kid: key.kid,
          publicJwk: { ...key.publicJwk },
          privateKeyEnc: Uint8Array.from(key.privateKeyEnc),
          createdAt: key.createdAt,
          activatesAt: key.activatesAt,
          retiredAt: key.retiredAt,
          compromisedAt: key.compromisedAt,
        },
      });
    },
    async retire(kid, at) {
      await tx.signingKey.update({ where: { kid }, data: { retiredAt: at } });
    },
    async markCompromised(kid, at) {
      await tx.signingKey.update({ where: { kid }, data: { compromisedAt: at } });
    },
  };
}

async function listKeys(db: Db): Promise<SigningKeyRecord[]> {
  const rows = await db.signingKey.findMany({ orderBy: { activatesAt: 'asc' } });
  return rows.map(toRecord);
}

function toRecord(row: SigningKey): SigningKeyRecord {
  const jwk = row.publicJwk as Record<string, unknown>;
  return {
    kid: row.kid,
    publicJwk: { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) },
    privateKeyEnc: row.privateKeyEnc,
    createdAt: row.createdAt,
    activatesAt: row.activatesAt,
    retiredAt: row.retiredAt,
    compromisedAt: row.compromisedAt,
  };
}
