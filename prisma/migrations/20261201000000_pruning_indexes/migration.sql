-- Indexes the pruning job (src/store/pruning.ts) selects dead rows by, so a
-- batch never scans a whole table.

-- CreateIndex
CREATE INDEX "browser_sessions_idle_expires_at_idx" ON "browser_sessions"("idle_expires_at");

-- CreateIndex
CREATE INDEX "refresh_families_revoked_at_idx" ON "refresh_families"("revoked_at");
