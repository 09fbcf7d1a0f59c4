import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, postgresTarget } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

if (!TEST_DATABASE_URL) console.log('skipping readiness fault test: it needs PostgreSQL at TEST_DATABASE_URL behind a TCP proxy');

describe.skipIf(!TEST_DATABASE_URL)('readiness when PostgreSQL is cut off', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const upstream = new URL(TEST_DATABASE_URL!);
    proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    // The test database is created directly; the app reaches it only through the proxy.
    const target = {
      ...postgresTarget,
      async create() {
        const created = await postgresTarget.create();
        const url = new URL(created.env.DATABASE_URL!);
        url.port = String(proxy.port);
        return { ...created, env: { ...created.env, DATABASE_URL: url.toString(), DATABASE_TIMEOUT_MS: '1000' } };
      },
    };
    t = await startTestApp(target);
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });

  it('turns 503 within seconds of a cut and recovers without a restart', async () => {
    expect((await t.app.inject('/readyz')).statusCode).toBe(200);
    proxy.cut();
    const started = Date.now();
    const down = await t.app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(down.json()).toMatchObject({ type: 'urn:identity-service:problem:unavailable', detail: 'The database is unreachable.' });
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);

    proxy.restore();
    const up = await t.app.inject('/readyz');
    expect(up.statusCode).toBe(200);
  });
});
