import type { Config } from '../config/index.js';
import { Authorization } from '../domain/authorization/authorize.js';
import { Consents } from '../domain/authorization/consents.js';
import type { ClientRegistry } from '../domain/clients/client.js';
import type { Clock } from '../domain/clock.js';
import type { TokenServices } from '../domain/tokens/token-services.js';
import { PostgresAuthorizationCodeStore } from '../store/authorization-code-store.js';
import { PostgresAuthorizationRequestStore } from '../store/authorization-request-store.js';
import { PostgresConsentStore } from '../store/consent-store.js';
import type { DatabaseHandle } from '../store/database.js';

export interface AuthorizationWiring {
  config: Config;
  clock: Clock;
  database: DatabaseHandle;
  clients: ClientRegistry;
  tokens: TokenServices;
  hasSecondFactor: (userId: string) => Promise<boolean>;
}

/** The authorization endpoint's use-cases (OpenID Connect) on their PostgreSQL stores. */
export function buildAuthorization({ config, clock, database, clients, tokens, hasSecondFactor }: AuthorizationWiring) {
  const consentStore = new PostgresConsentStore(database);
  return {
    authorization: new Authorization({
      clients,
      codes: new PostgresAuthorizationCodeStore(database),
      requests: new PostgresAuthorizationRequestStore(database),
      consents: consentStore,
      clock,
      issuer: config.issuer,
      hasSecondFactor,
    }),
    consents: new Consents(consentStore, tokens),
  };
}
