import { Counter, Gauge, type Registry } from 'prom-client';
import type { KeyService } from '../../domain/keys/key-service.js';

/**
 * Rotations this process performed, by reason, and the stored keys by phase
 * (read at scrape time). An alert on `signing_keys{phase="active"} != 1`, or on
 * `signing_key_rotations_total{reason="compromised"}` moving, covers the incidents that matter.
 */
export function registerKeyMetrics(registry: Registry, keys: KeyService): void {
  const rotations = new Counter({
    name: 'signing_key_rotations_total',
    help: 'Signing-key rotations this process performed since it started serving, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  keys.onRotation((event) => rotations.inc({ reason: event.reason }));
  new Gauge({
    name: 'signing_keys',
    help: 'Stored signing keys by phase, as this process last loaded them',
    labelNames: ['phase'] as const,
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { published: 0, active: 0, retired: 0, removed: 0, compromised: 0 };
      for (const key of keys.status()) counts[key.phase] = (counts[key.phase] ?? 0) + 1;
      for (const [phase, count] of Object.entries(counts)) this.set({ phase }, count);
    },
  });
}
