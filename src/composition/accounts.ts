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
  const { accounts, audit } = buildAccountUseCases({ config, clock, database: database.handle });
  const lifetimes = config.session;
  const sessionStore: BrowserSessionStore = redis
    ? new RedisSessionStore(redis, clock, lifetimes)
    : new PrismaSessionStore(await database.prisma(), clock, lifetimes);
  const sessions = new BrowserSessions(sessionStore, clock, lifetimes, { name: config.httpsIssuer ? '__Host-sid' : 'sid', secure: config.httpsIssuer });
  const passkeys = buildPasskeys({ config, clock, database: database.handle, accounts, audit });
  return { accounts, audit, sessions, sessionStore, cookieSecret: deriveSubkey(masterKey, 'session-cookie'), passkeys };
}

export type AccountsParts = Awaited<ReturnType<typeof buildAccounts>>;

/** The account use-cases on their database stores (the service and the `users` command share them). */
export function buildAccountUseCases({ config, clock, database }: Pick<AccountsWiring, 'config' | 'clock'> & { database: DatabaseHandle }) {
  const audit = new PostgresAuditLog(database);
  const accounts = new Accounts({
    users: new PostgresUserStore(database),
    hasher: new Argon2PasswordHasher(config.passwordHashing, config.passwordHashingConcurrency),
    clock,
    audit,
    passwordPolicy: { minLength: config.accounts.passwordMinLength },
    lockout: { maxFailures: config.login.maxFailures, lockoutSeconds: config.login.lockoutSeconds },
  });
  return { accounts, audit };
}
