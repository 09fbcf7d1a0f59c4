-- Every refresh rotates in place: it sets refresh_tokens.spent_at and bumps
-- refresh_families.generation and last_used_at, none of them indexed. With
-- free room on the page PostgreSQL makes these heap-only (HOT) updates, which
-- write no index entry; on full pages (fillfactor 100, the default) each
-- update writes a new entry into every index of the table. A family is
-- rotated every access-token lifetime for weeks, so this is most of the
-- write load. Takes effect for pages written from now on.
ALTER TABLE "refresh_families" SET (fillfactor = 70);
ALTER TABLE "refresh_tokens" SET (fillfactor = 80);
