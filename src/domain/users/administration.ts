import type { AuditEventType, AuditLog } from '../audit.js';
import type { AuditTrail, StoredAuditEvent } from '../audit-trail.js';
import type { Clock } from '../clock.js';
import type { FactorSummary, SecondFactors } from '../mfa/second-factors.js';
import { AppError } from '../errors.js';
import { decodeCursor, pageOf, type Page } from '../pagination.js';
import type { BrowserSessionStore } from '../sessions/session-store.js';
import type { RevokedCounts } from '../sessions/devices.js';
import type { RevocationReason } from '../tokens/token-services.js';
import { ROLES, type Role } from './user.js';
import type { AdminUserRecord, RoleChange, UserDirectory, UserSearch } from './user-directory.js';
import type { Accounts } from './accounts.js';
import { parseEmail } from './email.js';
import type { UserStore } from './user-store.js';

/** Who performs an administrative action: an admin's user id, or `cli` for `npm run users`. */
export interface Actor {
  readonly id: string;
  readonly ip: string | null;
}

export const CLI_ACTOR: Actor = { id: 'cli', ip: null };

export interface AdministrationDeps {
  readonly accounts: Pick<Accounts, 'disable'>;
  readonly users: Pick<UserStore, 'findByEmail'>;
  readonly directory: UserDirectory;
  readonly trail: AuditTrail;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly sessions: Pick<BrowserSessionStore, 'destroyByUser'>;
  /** Second factors of every kind (domain/mfa/second-factors.ts). */
  readonly factors: Pick<SecondFactors, 'list' | 'reset'>;
  /** Revokes every token family of the user, into the revocation state, feed and push (TokenServices.revokeUserLogins). */
  readonly revokeTokenFamilies: (userId: string, reason: RevocationReason) => Promise<number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const userPosition = (parts: unknown[]) => {
  const [ms, id] = parts;
  if (parts.length !== 2 || !Number.isSafeInteger(ms) || (ms as number) < 0 || typeof id !== 'string' || !UUID.test(id)) return undefined;
  return { createdAt: new Date(ms as number), id };
};

const auditPosition = (parts: unknown[]) => {
  const [id] = parts;
  return parts.length === 1 && typeof id === 'string' && /^[1-9][0-9]{0,18}$/.test(id) ? id : undefined;
};

const countsOf = (revoked: RevokedCounts) => ({ browser_sessions: revoked.browserSessions, token_families: revoked.tokenFamilies });

const noSuchUser = () => new AppError('not_found', 'No such user.');

/**
 * What operators do to other accounts: find them, disable and enable, force a
 * logout, grant and remove roles. The admin API and `npm run users` both call
 * these, so both revoke and audit alike; every event names the actor in
 * `detail.by`.
 */
export class UserAdministration {
  constructor(private readonly deps: AdministrationDeps) {}

  async list(query: Omit<UserSearch, 'after'> & { cursor?: string }): Promise<Page<AdminUserRecord>> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, userPosition);
    // Folded as lookup keys are (domain/users/email.ts), so a search matches whatever case was typed.
    const email = query.email?.normalize('NFC').trim().toLowerCase();
    const rows = await this.deps.directory.search({ ...query, email, limit: query.limit + 1, ...(after ? { after } : {}) });
    return pageOf(rows, query.limit, (last) => [last.createdAt.getTime(), last.id]);
  }

  async find(userId: string): Promise<AdminUserRecord> {
    const user = await this.deps.directory.find(userId);
    if (!user) throw noSuchUser();
    return user;
  }

  /** The account's second factors (TOTP, recovery codes, passkeys…), never their secrets. */
  async factorsOf(userId: string): Promise<FactorSummary[]> {
    await this.find(userId);
    return this.deps.factors.list(userId);
  }

  /**
   * Removes every second factor of the user (a lost authenticator): the
   * password alone signs in again, and the user can enrol anew. Logins stay;
   * a force logout is a separate decision.
   */
  async resetSecondFactors(userId: string, actor: Actor): Promise<FactorSummary[]> {
    const removed = await this.factorsOf(userId);
    await this.deps.factors.reset(userId);
    await this.record('mfa_reset', userId, actor, { kinds: [...new Set(removed.map((factor) => factor.kind))].join(' ') });
    return removed;
  }

  /** An account by email, for the command line (whose operators name accounts that way). */
  async findByEmail(email: string): Promise<AdminUserRecord> {
    const parsed = parseEmail(email);
    const user = parsed ? await this.deps.users.findByEmail(parsed.normalized) : undefined;
    if (!user) throw noSuchUser();
    return this.find(user.id);
  }

  async auditOf(userId: string, page: { limit: number; cursor?: string }): Promise<Page<StoredAuditEvent>> {
    await this.find(userId);
    const beforeId = page.cursor === undefined ? undefined : decodeCursor(page.cursor, auditPosition);
    const rows = await this.deps.trail.listByUser(userId, { limit: page.limit + 1, ...(beforeId ? { beforeId } : {}) });
    return pageOf(rows, page.limit, (last) => [last.id]);
  }

  /** Disables the account first, so no login can start between the revocation and the flag; then ends every login. */
  async disable(userId: string, actor: Actor): Promise<RevokedCounts> {
    if (userId === actor.id) throw new AppError('conflict', 'You cannot disable your own account: ask another admin.');
    // Audits `user_disabled` with the actor; throws not_found for an unknown id.
    await this.deps.accounts.disable(userId, { ip: actor.ip, actorId: actor.id });
    return this.revokeAll(userId, 'user_disabled');
  }

  async enable(userId: string, actor: Actor): Promise<void> {
    if (!(await this.deps.directory.enable(userId, this.deps.clock.now()))) throw noSuchUser();
    await this.record('user_enabled', userId, actor);
  }

  /** Force logout: every browser session and token family of the user ends, and its access tokens are refused at once. */
  async logout(userId: string, actor: Actor): Promise<RevokedCounts> {
    await this.find(userId);
    const revoked = await this.revokeAll(userId, 'admin_revoked');
    await this.record('user_revoked', userId, actor, countsOf(revoked));
    return revoked;
  }

  /**
   * Grants or removes a role; idempotent. A change ends the user's logins:
   * a token family keeps the roles of its login (refreshed tokens repeat
   * them), so the next tokens, from a new login, carry the new roles and no
   * access token outlives the change; a browser session gets the lifetime of
   * its roles at sign-in (ADMIN_SESSION_ABSOLUTE_SECONDS), so it starts again too.
   */
  async changeRole(userId: string, role: string, change: 'grant' | 'remove', actor: Actor): Promise<{ roles: readonly Role[]; changed: boolean }> {
    if (!(ROLES as readonly string[]).includes(role)) throw new AppError('bad_request', `Unknown role; the roles are ${ROLES.join(', ')}.`);
    const known = role as Role;
    if (change === 'remove' && known === 'admin' && userId === actor.id) {
      throw new AppError('conflict', 'You cannot remove your own admin role: ask another admin, so the service always keeps one.');
    }
    const now = this.deps.clock.now();
    const result: RoleChange = change === 'grant' ? await this.deps.directory.grantRole(userId, known, now) : await this.deps.directory.removeRole(userId, known, now);
    if (result === 'no_such_user') throw noSuchUser();
    if (result === 'changed') {
      const revoked = await this.revokeAll(userId, 'roles_changed');
      await this.record(change === 'grant' ? 'role_granted' : 'role_removed', userId, actor, { role: known, ...countsOf(revoked) });
    }
    return { roles: (await this.find(userId)).roles, changed: result === 'changed' };
  }

  private async revokeAll(userId: string, reason: RevocationReason): Promise<RevokedCounts> {
    const [browserSessions, tokenFamilies] = await Promise.all([this.deps.sessions.destroyByUser(userId), this.deps.revokeTokenFamilies(userId, reason)]);
    return { browserSessions, tokenFamilies };
  }

  private record(type: AuditEventType, userId: string, actor: Actor, detail: Record<string, string | number> = {}) {
    return this.deps.audit.record({ type, userId, ip: actor.ip, detail: { by: actor.id, ...detail }, at: this.deps.clock.now() });
  }
}
