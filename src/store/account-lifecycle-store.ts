import type { AccountLifecycleStore, AccountTokenPurpose, AccountTransaction } from '../domain/users/account-tokens.js';
import type { DatabaseHandle, Query } from './database.js';
import { outboxWriter } from './outbox-store.js';
import { PostgresUserStore } from './user-store.js';

// Live: unspent, unexpired, the account enabled, and, for a token bound to a
// password, that password still the current one.
const LIVE = `t.token_hash = $1 AND t.purpose = $2 AND t.consumed_at IS NULL AND t.expires_at > $3
  AND u.id = t.user_id AND u.disabled_at IS NULL
  AND (t.password_changed_at IS NULL OR t.password_changed_at = u.password_changed_at)`;

/** A handle whose every statement runs in the transaction of `query`. */
const boundTo = (database: DatabaseHandle, query: Query): DatabaseHandle => ({ ...database, query, transaction: (work) => work(query) });

/** Account tokens and the outbox, written in one transaction with the account change they go with. */
export class PostgresAccountLifecycleStore implements AccountLifecycleStore {
  constructor(private readonly database: DatabaseHandle) {}

  transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    return this.database.transaction((query) => {
      const users = new PostgresUserStore(boundTo(this.database, query));
      return work({
        createUser: (user) => users.create(user),
        async insertToken(token) {
          // Spent and expired tokens of the account go as a new one comes: the table holds a few rows per user at most.
          await query('DELETE FROM account_tokens WHERE user_id = $1 AND (consumed_at IS NOT NULL OR expires_at <= $2)', [token.userId, token.createdAt]);
          await query(
            `INSERT INTO account_tokens (token_hash, purpose, user_id, password_changed_at, created_at, expires_at)
             SELECT $1, $2, id, CASE WHEN $4 THEN password_changed_at END, $5, $6 FROM users WHERE id = $3`,
            [token.hash, token.purpose, token.userId, token.bindToPassword, token.createdAt, token.expiresAt],
          );
        },
        async consumeToken(hash: string, purpose: AccountTokenPurpose, now: Date) {
          const [row] = await query<{ user_id: string }>(
            `UPDATE account_tokens t SET consumed_at = $3 FROM users u WHERE ${LIVE} RETURNING t.user_id`,
            [hash, purpose, now],
          );
          return row?.user_id;
        },
        async setNewPassword(userId, passwordHash, now) {
          await query(
            `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3, failed_login_count = 0, locked_until = NULL WHERE id = $1`,
            [userId, passwordHash, now],
          );
        },
        async markEmailVerified(userId, now) {
          await query('UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1', [userId, now]);
        },
        outbox: outboxWriter(query),
      });
    });
  }

  async findLiveToken(hash: string, purpose: AccountTokenPurpose, now: Date): Promise<string | undefined> {
    const [row] = await this.database.query<{ user_id: string }>(`SELECT t.user_id FROM account_tokens t, users u WHERE ${LIVE}`, [hash, purpose, now]);
    return row?.user_id;
  }
}
