import type { Config } from '../config/index.js';
import type { ClientRegistry } from '../domain/clients/client.js';
import type { Clock } from '../domain/clock.js';
import type { KeyService } from '../domain/keys/key-service.js';
import { ReplicaSync } from '../domain/revocations/replica-sync.js';
import { RevocationFeed } from '../domain/revocations/revocation-feed.js';
import { RevocationState } from '../domain/revocations/revocation-state.js';
import type { OpenDatabase } from '../store/open-database.js';
import { PostgresRevocationStore } from '../store/revocation-store.js';

// A lost LISTEN connection is retried this often; the periodic reload covers the time in between.
const LISTEN_RETRY_MS = 1000;

/**
 * How long a revocation matters: the longest access-token lifetime of any
 * client, plus the skew verifiers allow past `exp`.
 */
export function revocationWindowSeconds(config: Pick<Config, 'accessToken'>, clients: ClientRegistry): number {
  const ttls = clients.all().map((client) => client.accessTokenTtlSeconds ?? 0);
  return Math.max(config.accessToken.ttlSeconds, ...ttls) + config.accessToken.clockSkewSeconds;
}

/** The revocation state, its feed, and the push that keeps revocations and keys current across replicas (not started). */
export function buildRevocations(deps: {
  config: Config;
  clock: Clock;
  database: OpenDatabase;
  keys: KeyService;
  clients: ClientRegistry;
  log: { warn(fields: object, message: string): void };
}) {
  const { config, clock, database, keys, log } = deps;
  const windowSeconds = revocationWindowSeconds(config, deps.clients);
  const store = new PostgresRevocationStore(database.handle);
  const state = new RevocationState({ store, clock, windowSeconds });
  const sync = new ReplicaSync({
    notifications: database.changeNotifications(log, LISTEN_RETRY_MS),
    revocations: state,
    keys,
    reloadMs: config.keys.reloadSeconds * 1000,
    log,
  });
  const feed = new RevocationFeed(state, keys, clock, { issuer: config.issuer, lifetimeSeconds: config.revocationFeed.lifetimeSeconds });
  return { store, state, sync, feed, windowSeconds };
}

export type Revocations = ReturnType<typeof buildRevocations>;
