-- The authorization-code flow (RFC 6749 §4.1, OpenID Connect Core §3.1).

-- Codes live at most 60 s and the table was never written before this
-- migration, so nothing is lost by requiring the new columns.
DELETE FROM "authorization_codes";
ALTER TABLE "authorization_codes"
    ADD COLUMN "nonce" TEXT,
    ADD COLUMN "browser_session_id" UUID NOT NULL,
    ADD COLUMN "auth_time" TIMESTAMPTZ(3) NOT NULL,
    ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

-- A login that began in a browser session ends with it; ID tokens issued on
-- refresh repeat the original authentication (Core §12.2).
ALTER TABLE "refresh_families"
    ADD COLUMN "browser_session_id" UUID,
    ADD COLUMN "auth_time" TIMESTAMPTZ(3),
    ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
CREATE INDEX "refresh_families_browser_session_id_idx" ON "refresh_families"("browser_session_id");

-- An authorization request waiting for the user to sign in or consent; the
-- browser carries only an opaque id, whose hash is the key.
CREATE TABLE "authorization_requests" (
    "id_hash" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "parameters" JSONB NOT NULL,
    "login_after" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "authorization_requests_pkey" PRIMARY KEY ("id_hash")
);
CREATE INDEX "authorization_requests_expires_at_idx" ON "authorization_requests"("expires_at");

-- Remembered consent, per user and client (the union of the scopes granted).
CREATE TABLE "consents" (
    "user_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "consents_pkey" PRIMARY KEY ("user_id", "client_id")
);
ALTER TABLE "consents" ADD CONSTRAINT "consents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
