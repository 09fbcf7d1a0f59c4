import { Counter, type Registry } from 'prom-client';

/** Counters an operator alerts on: a rise in reuse detections means stolen refresh tokens or a buggy client. */
export function tokenMetrics(registry: Registry) {
  const issued = new Counter({
    name: 'oauth_tokens_issued_total',
    help: 'Token endpoint successes by grant type',
    labelNames: ['grant_type'] as const,
    registers: [registry],
  });
  const graceReplays = new Counter({
    name: 'oauth_refresh_grace_replays_total',
    help: 'Refresh tokens replayed within the grace window and answered with the same successor',
    registers: [registry],
  });
  const reuses = new Counter({
    name: 'oauth_refresh_reuse_detected_total',
    help: 'Spent refresh tokens presented again outside the grace rule; each revoked a family',
    registers: [registry],
  });
  return {
    issued: (grantType: string) => issued.inc({ grant_type: grantType }),
    graceReplay: () => graceReplays.inc(),
    reuseDetected: () => reuses.inc(),
  };
}
