import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { AuditLog } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import { OutboxWorker, type OutboxLog } from '../domain/mail/outbox-worker.js';
import { MailTemplates } from '../domain/mail/templates.js';
import { AccountLifecycle } from '../domain/users/account-lifecycle.js';
import type { PasswordHasher } from '../domain/users/password-hasher.js';
import { DevMailSender } from '../mail/dev-mail-sender.js';
import { SmtpMailSender } from '../mail/smtp-mail-sender.js';
import { PostgresAccountLifecycleStore } from '../store/account-lifecycle-store.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresOutbox } from '../store/outbox-store.js';
import { PostgresUserStore } from '../store/user-store.js';

export interface MailWiring {
  config: Config;
  clock: Clock;
  database: DatabaseHandle;
  audit: AuditLog;
  hasher: PasswordHasher;
  log: OutboxLog;
}

/** The outbox worker on its transport, and the account-lifecycle use-cases that queue mail for it. */
export function buildMail({ config, clock, database, audit, hasher, log }: MailWiring) {
  const { mail, accountLifecycle: settings } = config;
  const sender = mail.smtpUrl ? new SmtpMailSender(mail.smtpUrl, mail.from) : new DevMailSender(join(config.dataDir, 'mail'), mail.from, log);
  const worker = new OutboxWorker({
    queue: new PostgresOutbox(database),
    sender,
    clock,
    log,
    pollMs: mail.pollSeconds * 1000,
    // Longer than the SMTP sender's timeouts added up: a lease never runs out while its send may still succeed.
    leaseMs: 120_000,
    backoffMs: 5_000,
    maxBackoffMs: 600_000,
    retentionMs: mail.retentionSeconds * 1000,
  });
  const lifecycle = new AccountLifecycle({
    users: new PostgresUserStore(database),
    store: new PostgresAccountLifecycleStore(database),
    hasher,
    clock,
    audit,
    passwordPolicy: { minLength: config.accounts.passwordMinLength },
    mail: new MailTemplates({ serviceName: mail.serviceName, issuer: config.issuer }),
    emailVerification: settings.emailVerification,
    verificationTtlSeconds: settings.verificationTtlSeconds,
    resetTtlSeconds: settings.resetTtlSeconds,
    mailLifetimeSeconds: mail.retryLifetimeSeconds,
    mailQueued: () => worker.wake(),
  });
  return { worker, lifecycle };
}
