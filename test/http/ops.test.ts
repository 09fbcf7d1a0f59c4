import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe.each(databaseTargets)('operations and errors on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(target);
  });
  afterAll(async () => {
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('answers liveness and readiness', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('turns readiness to 503 while draining', async () => {
    const app = t.app;
    app.beginDrain();
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'urn:identity-service:problem:unavailable', status: 503 });
  });

  it('exposes Prometheus metrics with per-route counts and latency', async () => {
    const healthzCount = (body: string) => Number(/^http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} (\d+)$/m.exec(body)?.[1] ?? 0);
    const before = healthzCount((await t.app.inject('/metrics')).body);
    await t.app.inject('/healthz');
    const response = await t.app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(healthzCount(response.body)).toBe(before + 1);
    expect(response.body).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz",status_code="200"\}/);
    expect(response.body).toContain('process_resident_memory_bytes');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const response = await t.app.inject('/no/such/route?secret=1');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'urn:identity-service:problem:not_found',
      title: 'Not found',
      status: 404,
      detail: 'No route for GET /no/such/route',
      instance: '/no/such/route',
    });
  });

  it('ignores X-Forwarded-For unless a proxy is trusted, so clients cannot pick their own IP', async () => {
    const response = await t.app.inject({ url: '/no-such-route', headers: { 'x-forwarded-for': '203.0.113.99' } });
    const line = t.logs.find((entry) => (entry.req as { id?: string } | undefined)?.id === response.headers['x-request-id']);
    expect((line?.req as { ip?: string }).ip).toBe('127.0.0.1');
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const kept = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-1234abcd' } });
    expect(kept.headers['x-request-id']).toBe('trace-1234abcd');
    const replaced = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad\nid"}' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
