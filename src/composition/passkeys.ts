import type { Config } from '../config/index.js';
import type { AuditLog } from '../domain/audit.js';
import type { Clock } from '../domain/clock.js';
import { Passkeys } from '../domain/passkeys/passkeys.js';
import type { Accounts } from '../domain/users/accounts.js';
import { SimpleWebAuthnCeremonies } from '../crypto/simplewebauthn-ceremonies.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresPasskeyStore } from '../store/passkey-store.js';
import { PostgresChallengeStore } from '../store/webauthn-challenge-store.js';

/** Passkeys on their SQL stores, for the relying party the issuer names. */
export function buildPasskeys({ config, clock, database, accounts, audit }: { config: Config; clock: Clock; database: DatabaseHandle; accounts: Accounts; audit: AuditLog }): Passkeys {
  const { rpName, rpId, origin, timeoutSeconds } = config.webauthn;
  return new Passkeys({
    passkeys: new PostgresPasskeyStore(database),
    challenges: new PostgresChallengeStore(database),
    ceremonies: new SimpleWebAuthnCeremonies({ name: rpName, id: rpId, origin, timeoutSeconds }),
    accounts,
    audit,
    clock,
    timeoutSeconds,
  });
}
