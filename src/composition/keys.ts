import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import type { KeySettings } from '../domain/keys/key-phase.js';
import { KeyService, type KeyLog } from '../domain/keys/key-service.js';
import { deriveSubkey } from '../domain/secrets.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresSigningKeyStore } from '../store/signing-key-store.js';

/** The key lifecycle from configuration. */
export function keySettings(config: Pick<Config, 'keys' | 'accessToken'>): KeySettings {
  return {
    rotationDays: config.keys.rotationDays,
    prepublishSeconds: config.keys.prepublishSeconds,
    // A token signed just before retirement is accepted until exp plus the verifiers' skew tolerance.
    retentionSeconds: config.accessToken.ttlSeconds + config.accessToken.clockSkewSeconds,
  };
}

/** Composes the signing-key service for buildApp and the keys CLI alike (not started: the caller decides). */
export function createKeyService(
  config: Pick<Config, 'keys' | 'accessToken'>,
  deps: { database: DatabaseHandle; masterKey: Buffer; clock: Clock; log: KeyLog },
): KeyService {
  return new KeyService({
    store: new PostgresSigningKeyStore(deps.database),
    wrapKey: deriveSubkey(deps.masterKey, 'signing-key-wrap'),
    clock: deps.clock,
    settings: keySettings(config),
    log: deps.log,
    timing: { reloadMs: config.keys.reloadSeconds * 1000 },
  });
}
