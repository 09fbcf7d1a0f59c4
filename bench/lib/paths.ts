import path from 'node:path';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
export const BENCH_DIR = path.join(PROJECT_ROOT, 'bench');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
