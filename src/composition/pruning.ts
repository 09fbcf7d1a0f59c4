import type { Config } from '../config/index.js';
import type { Clock } from '../domain/clock.js';
import { Pruner, type PruneLog } from '../domain/maintenance/pruner.js';
import type { PruneTarget } from '../domain/maintenance/retention.js';
import type { DatabaseHandle } from '../store/database.js';
import { PostgresPruneStore } from '../store/pruning.js';

/** The pruning job from configuration (not started: buildApp starts it once the app is ready). */
export function createPruner(
  config: Pick<Config, 'pruning' | 'accessToken'>,
  deps: {
    database: DatabaseHandle;
    clock: Clock;
    log: PruneLog;
    metrics: { pruned(table: PruneTarget, rows: number): void; run(outcome: 'pruned' | 'skipped' | 'failed'): void };
    revocationWindowSeconds: number;
  },
): Pruner {
  return new Pruner({
    store: new PostgresPruneStore(deps.database),
    clock: deps.clock,
    retention: { retentionSeconds: config.pruning.retentionSeconds, clockSkewSeconds: config.accessToken.clockSkewSeconds, revocationWindowSeconds: deps.revocationWindowSeconds },
    batchSize: config.pruning.batchSize,
    intervalMs: config.pruning.intervalSeconds * 1000,
    log: deps.log,
    onPruned: deps.metrics.pruned,
    onRun: deps.metrics.run,
  });
}
