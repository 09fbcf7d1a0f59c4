import type { Clock } from '../clock.js';
import type { PruneStore } from './prune-store.js';
import { PRUNE_STEPS, PRUNE_TARGETS, pruneCutoffs, type PruneTarget, type RetentionSettings } from './retention.js';

/** The log calls the pruner makes (pino's shape). */
export interface PruneLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface PrunerOptions {
  store: PruneStore;
  clock: Clock;
  retention: RetentionSettings;
  /** Rows per DELETE: each batch is one short transaction, so hot paths never queue behind a long one. */
  batchSize: number;
  /** Time between runs; 0 never schedules one (runOnce still works). */
  intervalMs: number;
  /** Pause between batches, so a large backlog drains without monopolising the database. */
  pauseMs?: number;
  /** Bounds one run (rounds per step); what is left waits for the next run. */
  maxBatchesPerTarget?: number;
  log: PruneLog;
  onPruned?: (target: PruneTarget, rows: number) => void;
  onRun?: (outcome: 'pruned' | 'skipped' | 'failed') => void;
}

export type PruneReport = Readonly<Record<PruneTarget, number>>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The scheduled job that deletes expired and revoked rows in small batches.
 * It runs on every replica; the store's lock lets one of them work at a time
 * and the others skip the round. Its timer never keeps the process alive, and
 * `stop` ends it between two batches.
 */
export class Pruner {
  readonly #options: Required<Omit<PrunerOptions, 'onPruned' | 'onRun'>> & Pick<PrunerOptions, 'onPruned' | 'onRun'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: PrunerOptions) {
    this.#options = { pauseMs: 10, maxBatchesPerTarget: 1000, ...options };
  }

  /** Schedules runs every interval, the first one interval from now (start-up is busy enough). */
  start(): void {
    if (this.#options.intervalMs <= 0 || this.#stopped) return;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  /**
   * One round: every target, batch after batch, until a batch comes back
   * short. Answers the rows deleted per target, or undefined when another
   * replica holds the lock.
   */
  async runOnce(): Promise<PruneReport | undefined> {
    const run = this.#run();
    this.#running = run;
    try {
      return await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }

  async #run(): Promise<PruneReport | undefined> {
    const { store, clock, retention, batchSize, pauseMs, maxBatchesPerTarget, onPruned } = this.#options;
    const cutoffs = pruneCutoffs(clock.now(), retention);
    const outcome = await store.exclusive(async (batch) => {
      const deleted = Object.fromEntries(PRUNE_TARGETS.map((target) => [target, 0])) as Record<PruneTarget, number>;
      for (const step of PRUNE_STEPS) {
        for (let round = 0; round < maxBatchesPerTarget && !this.#stopped; round += 1) {
          let total = 0;
          let full = false;
          for (const target of step) {
            const rows = await batch(target, cutoffs[target], batchSize);
            deleted[target] += rows;
            total += rows;
            full ||= rows >= batchSize;
            if (rows > 0) onPruned?.(target, rows);
          }
          // A short batch means the target is done; targets that take turns are done when a round finds nothing.
          if (step.length === 1 ? !full : total === 0) break;
          if (pauseMs > 0) await sleep(pauseMs);
        }
      }
      return deleted;
    });
    return outcome.ran ? outcome.result : undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.runOnce()
        .then((report) => {
          this.#options.onRun?.(report ? 'pruned' : 'skipped');
          const total = report ? Object.values(report).reduce((sum, rows) => sum + rows, 0) : 0;
          if (total > 0) this.#options.log.info({ pruned: report }, 'pruned expired and revoked rows');
        })
        .catch((error: unknown) => {
          this.#options.onRun?.('failed');
          this.#options.log.warn({ err: error }, 'pruning expired rows failed; retrying at the next interval');
        })
        .finally(() => {
          if (!this.#stopped) this.#schedule();
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }
}
