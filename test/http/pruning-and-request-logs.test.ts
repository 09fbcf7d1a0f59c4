import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { startTestApp } from '../support/app.js';
import { embeddedTarget } from '../support/databases.js';
import { insertUser } from '../support/users.js';

describe('the app wires the pruning job', () => {
  it('runs it on PRUNE_INTERVAL_SECONDS with the injected clock and counts what it deleted', async () => {
    const clock = new ManualClock();
    const t = await startTestApp(embeddedTarget, { clock, env: { PRUNE_INTERVAL_SECONDS: '1' } });
    try {
      const db = t.app.database;
      const userId = await insertUser(db);
      const at = (minutes: number) => new Date(clock.now().getTime() + minutes * 60_000);
      const insert = (idHash: string, idleMinutes: number) =>
        db.query(
          `INSERT INTO browser_sessions (id_hash, public_id, user_id, data, created_at, last_seen_at, idle_expires_at, expires_at)
           VALUES ($1, $2, $3, '{}', $4, $4, $5, $6)`,
          [idHash, randomUUID(), userId, at(-60), at(idleMinutes), at(600)],
        );
      // Dead by the manual clock (2030), though far in the future by the wall clock.
      await insert('dead', -5);
      await insert('live', 5);
      await expect.poll(async () => (await db.query<{ id_hash: string }>('SELECT id_hash FROM browser_sessions')).map((r) => r.id_hash), { timeout: 10_000, interval: 200 }).toEqual(['live']);
      const metrics = await t.app.inject({ url: '/metrics' });
      expect(metrics.body).toMatch(/^pruned_rows_total\{table="browser_sessions"\} 1$/m);
      expect(metrics.body).toMatch(/^pruning_runs_total\{outcome="pruned"\} [1-9]/m);
    } finally {
      await t.close();
    }
  });
});

describe('LOG_REQUESTS', () => {
  const requestLines = (logs: Record<string, unknown>[]) => logs.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed');

  it('logs each request once, when it is answered, with the request, its status and its time, by default', async () => {
    const t = await startTestApp(embeddedTarget);
    try {
      await t.app.inject({ url: '/v1/me?state=secret', headers: { 'user-agent': 'probe/1', authorization: 'Bearer not-a-token' } });
      const lines = requestLines(t.logs);
      expect(lines).toHaveLength(1);
      const [line] = lines as [Record<string, unknown>];
      expect(line).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', url: '/v1/me', userAgent: 'probe/1' }, res: { statusCode: 401 } });
      expect(line.reqId).toBe((line.req as { id: string }).id);
      expect(line.responseTime).toEqual(expect.any(Number));
      expect(JSON.stringify(line)).not.toMatch(/secret|not-a-token/);
    } finally {
      await t.close();
    }
  });

  it('logs the arrival too at debug, for following a request that never completes', async () => {
    const t = await startTestApp(embeddedTarget, { env: { LOG_LEVEL: 'debug' } });
    try {
      await t.app.inject({ url: '/v1/me' });
      const lines = requestLines(t.logs);
      expect(lines.map((line) => [line.level, line.msg])).toEqual([
        [20, 'incoming request'],
        [30, 'request completed'],
      ]);
      expect(lines[0]!.reqId).toBe(lines[1]!.reqId);
    } finally {
      await t.close();
    }
  });

  it('never logs request lines for probes, metrics, keys and metadata', async () => {
    const t = await startTestApp(embeddedTarget);
    try {
      for (const url of ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server']) {
        expect((await t.app.inject({ url })).statusCode).toBe(200);
      }
      expect(requestLines(t.logs)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('leaves request lines out when false, and still logs what goes wrong', async () => {
    const t = await startTestApp(embeddedTarget, { env: { LOG_REQUESTS: 'false' } });
    try {
      await t.app.inject({ url: '/login' });
      await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password' });
      expect(requestLines(t.logs)).toEqual([]);
      expect(t.logs.filter((line) => line.msg === 'request rejected')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
