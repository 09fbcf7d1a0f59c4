import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('pruning and request-logging configuration', () => {
  it('prunes every 5 minutes in batches of 1000, keeps dead logins a day, and logs requests by default', () => {
    const config = loadConfig({});
    expect(config.pruning).toEqual({ intervalSeconds: 300, batchSize: 1000, retentionSeconds: 86_400 });
    expect(config.logRequests).toBe(true);
  });

  it('reads the variables, 0 turning the job off on a replica', () => {
    const config = loadConfig({ PRUNE_INTERVAL_SECONDS: '0', PRUNE_BATCH_SIZE: '250', PRUNE_RETENTION_SECONDS: '3600', LOG_REQUESTS: 'false' });
    expect(config.pruning).toEqual({ intervalSeconds: 0, batchSize: 250, retentionSeconds: 3600 });
    expect(config.logRequests).toBe(false);
  });

  it.each([
    [{ PRUNE_INTERVAL_SECONDS: 'often' }, /^Invalid configuration: PRUNE_INTERVAL_SECONDS/],
    [{ PRUNE_BATCH_SIZE: '0' }, /^Invalid configuration: PRUNE_BATCH_SIZE/],
    [{ PRUNE_RETENTION_SECONDS: '-1' }, /^Invalid configuration: PRUNE_RETENTION_SECONDS/],
    [{ LOG_REQUESTS: 'sometimes' }, /^Invalid configuration: LOG_REQUESTS/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
