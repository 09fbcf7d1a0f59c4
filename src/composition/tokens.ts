import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import type { RevocationState } from '../domain/revocations/revocation-state.js';
import type { RevocationStore } from '../domain/revocations/revocation-store.js';
import type { KeyRing } from '../domain/keys/key-ring.js';
import { deriveSubkey } from '../domain/secrets.js';
import { createTokenDomain } from '../domain/tokens/token-domain.js';
import { tokenMetrics } from '../http/oauth/token-metrics.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresAuthorizationCodeStore } from '../store/authorization-code-store.js';
import { PostgresRefreshStore } from '../store/refresh-store.js';
import { PostgresUserStore } from '../store/user-store.js';

export interface TokensWiring {
  config: Config;
  clock: Clock;
  database: DatabaseHandle;
  keys: KeyRing;
  masterKey: Buffer;
  metrics: Registry;
  log: Pick<Logger, 'warn'>;
  revocations: { state: RevocationState; store: RevocationStore };
}

/** The token use-cases on their PostgreSQL stores, with their events counted and reuse logged. */
export function buildTokens({ config, clock, database, keys, masterKey, metrics, log, revocations }: TokensWiring) {
  const counters = tokenMetrics(metrics);
  const users = new PostgresUserStore(database);
  const domain = createTokenDomain({
    keys,
    store: new PostgresRefreshStore(database),
    revocations,
    clock,
    accessToken: { issuer: config.issuer, ...config.accessToken },
    lifetimes: config.refresh,
    successorKey: deriveSubkey(masterKey, 'refresh-successor'),
    events: {
      graceReplay: counters.graceReplay,
      reuseDetected: (familyId) => {
        counters.reuseDetected();
        log.warn({ familyId }, 'refresh token reuse detected: family revoked');
      },
    },
    codes: new PostgresAuthorizationCodeStore(database),
    activeUser: async (userId) => {
      const user = await users.findById(userId);
      return user && !user.disabledAt ? user : undefined;
    },
  });
  return { ...domain, onIssued: counters.issued };
}
