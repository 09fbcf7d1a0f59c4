-- Revocations of logins (`sid`) and subjects (`sub`) while access tokens they
-- affect may still be unexpired: pushed to every replica (NOTIFY) and
-- published in the revocation feed (docs/revocation.md).

-- The feed's version. One row, incremented by each revoking transaction
-- (never a sequence): its row lock is held to commit, so versions become
-- visible in order and a replica catching up from version N misses nothing,
-- where a sequence value taken by a transaction that commits late would be
-- skipped.
CREATE TABLE "revocation_version" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "version" BIGINT NOT NULL,

    CONSTRAINT "revocation_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "revocation_version_single_row" CHECK ("id")
);
INSERT INTO "revocation_version" ("id", "version") VALUES (true, 0);

CREATE TABLE "revocations" (
    "id" BIGSERIAL NOT NULL,
    "version" BIGINT NOT NULL,
    "sid" TEXT,
    "sub" TEXT,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "revocations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "revocations_sid_or_sub" CHECK (("sid" IS NULL) <> ("sub" IS NULL))
);
CREATE INDEX "revocations_version_idx" ON "revocations"("version");
CREATE INDEX "revocations_revoked_at_idx" ON "revocations"("revoked_at");

-- Replaced by `sub` revocations (docs/revocation.md): an access token revoked
-- on its own is a client-credentials token, whose `sub` is its client.
DROP TABLE "revoked_access_tokens";
