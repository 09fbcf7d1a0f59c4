-- OIDC `email_verified` (Core 1.0 §5.1) and the verification flow need to know
-- whether the owner ever received mail at the address. Existing accounts
-- predate verification and stay unverified until they confirm.
ALTER TABLE "users" ADD COLUMN "email_verified_at" TIMESTAMPTZ(3);
