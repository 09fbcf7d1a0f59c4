-- Durable email (docs/accounts.md): the transactional outbox and the
-- single-use tokens its links carry.

-- A message is written in the same transaction as the event that causes it
-- (sign-up, reset request), so it is sent if and only if that event commits.
-- The bodies hold the raw link token until the message is sent or given up:
-- then they are set to NULL, and the row itself is pruned after retention.
CREATE TABLE "outbox_messages" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text_body" TEXT,
    "html_body" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "give_up_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "outbox_messages_status" CHECK ("status" IN ('pending', 'sent', 'failed'))
);
-- The worker's selector: only pending rows, oldest due first.
CREATE INDEX "outbox_messages_next_attempt_at_idx" ON "outbox_messages"("next_attempt_at") WHERE "status" = 'pending';
CREATE INDEX "outbox_messages_finished_at_idx" ON "outbox_messages"("finished_at");

-- Email-verification and password-reset tokens, stored only as SHA-256 hashes.
-- A reset token remembers the password_changed_at it was issued under, so it
-- dies as soon as the password changes.
CREATE TABLE "account_tokens" (
    "token_hash" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "password_changed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "consumed_at" TIMESTAMPTZ(3),

    CONSTRAINT "account_tokens_pkey" PRIMARY KEY ("token_hash"),
    CONSTRAINT "account_tokens_purpose" CHECK ("purpose" IN ('email_verification', 'password_reset'))
);
CREATE INDEX "account_tokens_user_id_idx" ON "account_tokens"("user_id");
CREATE INDEX "account_tokens_expires_at_idx" ON "account_tokens"("expires_at");
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
