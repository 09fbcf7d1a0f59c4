import { Counter, type Registry } from 'prom-client';
import type { PruneTarget } from '../../domain/maintenance/retention.js';

/**
 * Rows the pruning job deleted, by table, and its runs by outcome. A table
 * that keeps growing while `pruning_runs_total{outcome="failed"}` moves (or no
 * replica reports `pruned`) is the alert.
 */
export function pruningMetrics(registry: Registry) {
  const rows = new Counter({
    name: 'pruned_rows_total',
    help: 'Expired and revoked rows the pruning job deleted, by table',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const runs = new Counter({
    name: 'pruning_runs_total',
    help: 'Pruning rounds by outcome: pruned (this replica did the round), skipped (another replica held the lock), failed',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    pruned: (table: PruneTarget, count: number) => rows.inc({ table }, count),
    run: (outcome: 'pruned' | 'skipped' | 'failed') => runs.inc({ outcome }),
  };
}
