import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import { deriveSubkey } from '../domain/secrets.js';
import type { BrowserSessionStore } from '../domain/sessions/session-store.js';
import { Accounts } from '../domain/users/accounts.js';
import { Argon2PasswordHasher } from '../crypto/argon2-password-hasher.js';
import { BrowserSessions } from '../http/session/browser-sessions.js';
import { PostgresAuditLog } from '../store/audit-log.js';
import type { DatabaseHandle } from '../store/database.js';
import { PrismaSessionStore } from '../store/prisma-session-store.js';
import type { OpenDatabase } from '../store/open-database.js';
import { RedisSessionStore } from '../store/redis-session-store.js';
import { PostgresUserStore } from '../store/user-store.js';
import { PostgresAuditTrail, PostgresUserDirectory } from '../store/user-directory.js';
import { PostgresRefreshStore } from '../store/refresh-store.js';
import { buildMfa } from './mfa.js';
import type { SecondFactors } from '../domain/mfa/second-factors.js';
import { UserAdministration, type AdministrationDeps } from '../domain/users/administration.js';
import { buildPasskeys } from './passkeys.js';

export interface AccountsWiring {
  config: Config;
  clock: Clock;
  database: OpenDatabase;
  redis: Redis | undefined;
  masterKey: Buffer;
}

/**
 * Builds the accounts and sessions side from its stores: the part of the
 * composition root that knows which implementation backs each domain port.
 */
export async function buildAccounts({ config, clock, database, redis, masterKey }: AccountsWiring) {
  const { accounts, audit, hasher } = buildAccountUseCases({ config, clock, database: database.handle });
  const lifetimes = sessionLifetimes(config);
  const sessionStore = await buildSessionStore({ config, clock, database, redis });
  const sessions = new BrowserSessions(sessionStore, clock, lifetimes, { name: config.httpsIssuer ? '__Host-sid' : 'sid', secure: config.httpsIssuer });
  const passkeys = buildPasskeys({ config, clock, database: database.handle, accounts, audit });
  return { accounts, audit, hasher, sessions, sessionStore, cookieSecret: deriveSubkey(masterKey, 'session-cookie'), passkeys };
}

const sessionLifetimes = (config: Config) => ({ ...config.session, adminAbsoluteSeconds: config.admin.sessionAbsoluteSeconds });

/** Redis when there is one (shared by replicas), else the database. */
export async function buildSessionStore({ config, clock, database, redis }: Pick<AccountsWiring, 'config' | 'clock' | 'database' | 'redis'>): Promise<BrowserSessionStore> {
  const lifetimes = sessionLifetimes(config);
  return redis ? new RedisSessionStore(redis, clock, lifetimes) : new PrismaSessionStore(await database.prisma(), clock, lifetimes);
}

/** The administration use-cases on their stores (the admin API and `npm run users` share them). */
export function buildAdministration(parts: Pick<AdministrationDeps, 'accounts' | 'audit' | 'clock' | 'factors' | 'revokeTokenFamilies'> & { database: DatabaseHandle; sessionStore: BrowserSessionStore }) {
  const { database, sessionStore, accounts, audit, clock, factors, revokeTokenFamilies } = parts;
  return new UserAdministration({
    accounts,
    audit,
    clock,
    factors,
    revokeTokenFamilies,
    users: new PostgresUserStore(database),
    directory: new PostgresUserDirectory(database),
    trail: new PostgresAuditTrail(database),
    sessions: sessionStore,
  });
}

export type AccountsParts = Awaited<ReturnType<typeof buildAccounts>>;

/** The account use-cases on their database stores (the service and the `users` command share them). */
export function buildAccountUseCases({ config, clock, database }: Pick<AccountsWiring, 'config' | 'clock'> & { database: DatabaseHandle }) {
  const audit = new PostgresAuditLog(database);
  const hasher = new Argon2PasswordHasher(config.passwordHashing, config.passwordHashingConcurrency);
  const accounts = new Accounts({
    users: new PostgresUserStore(database),
    hasher,
    clock,
    audit,
    passwordPolicy: { minLength: config.accounts.passwordMinLength },
    lockout: { maxFailures: config.login.maxFailures, lockoutSeconds: config.login.lockoutSeconds },
    requireVerifiedEmail: config.accountLifecycle.emailVerification === 'required',
  });
  return { accounts, audit, hasher };
}

/**
 * The account and administration use-cases outside the service (`npm run
 * users`): logins are revoked in the database, whose NOTIFY reaches every
 * running replica's revocation state.
 */
export async function buildStandaloneAdministration({ config, clock, database, redis, masterKey }: Omit<AccountsWiring, 'masterKey'> & { masterKey: () => Buffer }) {
  const { accounts, audit } = buildAccountUseCases({ config, clock, database: database.handle });
  const refreshStore = new PostgresRefreshStore(database.handle);
  // Only a command about second factors reads (or, on a fresh DATA_DIR, creates) the key-encryption key.
  let built: SecondFactors | undefined;
  const factors = () => (built ??= buildMfa({ config, clock, database: database.handle, masterKey: masterKey(), audit }).factors);
  const administration = buildAdministration({
    clock,
    database: database.handle,
    accounts,
    audit,
    factors: { list: (userId) => factors().list(userId), reset: (userId) => factors().reset(userId) },
    sessionStore: await buildSessionStore({ config, clock, database, redis }),
    revokeTokenFamilies: (userId, reason) => refreshStore.revokeUserFamilies(userId, reason, clock.now()),
  });
  return { accounts, administration };
}
