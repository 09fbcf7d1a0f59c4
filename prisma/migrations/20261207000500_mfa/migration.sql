-- Second factors (docs/mfa.md). A user's TOTP authenticator: the secret is
-- sealed with AES-256-GCM under a subkey of the master key (never stored in
-- the clear); confirmed_at is null while enrolment awaits its first code.
-- last_used_step is the RFC 6238 time step of the last accepted code: a code
-- of that step or an earlier one is a replay (§5.2).
CREATE TABLE "totp_factors" (
    "user_id" UUID NOT NULL,
    "secret_enc" BYTEA NOT NULL,
    "confirmed_at" TIMESTAMPTZ(3),
    "last_used_step" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "totp_factors_pkey" PRIMARY KEY ("user_id"),
    CONSTRAINT "totp_factors_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- One-time recovery codes, only as keyed hashes; used_at marks a spent one.
CREATE TABLE "recovery_codes" (
    "user_id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "recovery_codes_pkey" PRIMARY KEY ("user_id", "code_hash"),
    CONSTRAINT "recovery_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- A login waiting for its second factor after a correct password: the app's
-- mfa_token (only its hash) or the browser's pending step, bound to the user,
-- the client, the scope and the DPoP key; single use, short-lived, and dead
-- after a few wrong codes.
CREATE TABLE "mfa_challenges" (
    "token_hash" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "client_id" TEXT,
    "scope" TEXT,
    "dpop_jkt" TEXT,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "consumed_at" TIMESTAMPTZ(3),
    CONSTRAINT "mfa_challenges_pkey" PRIMARY KEY ("token_hash"),
    CONSTRAINT "mfa_challenges_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "mfa_challenges_expires_at_idx" ON "mfa_challenges"("expires_at");
