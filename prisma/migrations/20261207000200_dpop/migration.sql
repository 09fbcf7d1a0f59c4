-- DPoP (RFC 9449 §5): a public client's login is bound to the key of its
-- first proof, the key's RFC 7638 thumbprint; a refresh must prove the same key.
ALTER TABLE "refresh_families" ADD COLUMN "dpop_jkt" TEXT;

-- §10: an authorization request may name the key in advance (`dpop_jkt`);
-- only a proof by that key redeems the code.
ALTER TABLE "authorization_codes" ADD COLUMN "dpop_jkt" TEXT;
