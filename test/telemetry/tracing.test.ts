import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, embeddedTarget, postgresTarget } from '../support/databases.js';
import { CHEAP_ARGON2, PASSWORD, REDIS_URL, browserLogin, http, mobileLogin, redisDatabase, refresh, runCli, signUp, stopService, waitReady } from '../support/deploy.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { freePort, spawnService, type ServiceProcess } from '../support/process.js';

/**
 * The built service with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a collector
 * in this process: a login must arrive as one trace, its database statements
 * inside it, and nothing a client sent as a credential may reach the collector.
 */
const REDIS_DB = 2;
const SERVER = 2; // SpanKind.SERVER in OTLP
const RETURN_TO_MARKER = 'marker-code-in-query-0123456789';

if (!TEST_DATABASE_URL) console.log('tracing: TEST_DATABASE_URL is not set, so no pg spans (the embedded database is not pg): the database-span case skips');
if (!REDIS_URL) console.log('tracing: REDIS_URL is not set: sessions in the database, the Redis-span case skips');

describe('tracing, with an OTLP collector', () => {
  let receiver: OtlpReceiver;
  let service: ServiceProcess;
  let database: Awaited<ReturnType<typeof embeddedTarget.create>>;
  let redis: Awaited<ReturnType<typeof redisDatabase>> | undefined;
  const email = `traced-${Date.now()}@example.com`;
  const secrets: string[] = [PASSWORD];
  let loginTrace: string;
  let sessionTrace: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    database = await (TEST_DATABASE_URL ? postgresTarget : embeddedTarget).create();
    if (database.env.DATABASE_URL) expect((await runCli('migrate', [], { DATABASE_URL: database.env.DATABASE_URL })).code).toBe(0);
    redis = REDIS_URL ? await redisDatabase(REDIS_DB) : undefined;
    service = spawnService(
      {
        ...database.env,
        ...CHEAP_ARGON2,
        ...(redis ? { REDIS_URL: redis.url } : {}),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'identity-traced',
      },
      await freePort(),
    );
    await waitReady(service, 40_000);

    await signUp(service.url, email);
    const tokens = await mobileLogin(service.url, email);
    const rotated = await refresh(service.url, tokens.refresh_token);
    expect(rotated.status).toBe(200);
    const cookie = await browserLogin(service.url, email);
    expect((await http(`${service.url}/v1/me`, { headers: { cookie } })).status).toBe(200);
    expect((await http(`${service.url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    // A query string is where authorization codes and tokens travel (RFC 6749 §4.1.2).
    await http(`${service.url}/login?return_to=${encodeURIComponent(`/cb?code=${RETURN_TO_MARKER}`)}`);
    secrets.push(tokens.access_token, tokens.refresh_token, rotated.body.refresh_token, rotated.body.access_token, cookie.split('=')[1]!, RETURN_TO_MARKER);

    // Shutdown exports what is still batched.
    expect(await stopService(service)).toBe(0);
    loginTrace = serverSpan('/v1/auth/login').traceId;
    sessionTrace = serverSpan('/v1/session').traceId;
  }, 120_000);

  afterAll(async () => {
    if (service) await stopService(service);
    await receiver?.close();
    await database?.drop();
    await redis?.flush();
  });

  const serverSpan = (route: string, method = 'POST'): ReceivedSpan => {
    const span = receiver.spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === route && s.attributes['http.request.method'] === method);
    if (!span) throw new Error(`no server span for ${method} ${route} among ${receiver.spans.length} spans`);
    return span;
  };
  const inTrace = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

  it('exports each request as a trace under the configured service name, with the route and status', () => {
    const login = serverSpan('/v1/auth/login');
    expect(login.service).toBe('identity-traced');
    expect(login.parentSpanId).toBeUndefined();
    expect(login.attributes['http.response.status_code']).toBe(200);
    // The handler's span is a child of the request's.
    expect(inTrace(loginTrace).some((span) => span.parentSpanId === login.spanId)).toBe(true);
  });

  it.skipIf(!TEST_DATABASE_URL)("puts a login's PostgreSQL statements in its trace", () => {
    const statements = inTrace(loginTrace).filter((span) => span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql');
    expect(statements.length).toBeGreaterThanOrEqual(2);
    // Statements are sent with placeholders, never with the values.
    for (const span of statements) expect(JSON.stringify(span.attributes)).not.toContain(email);
  });

  it.skipIf(!REDIS_URL)("puts a browser sign-in's Redis commands in its trace, without their arguments", () => {
    const commands = inTrace(sessionTrace).filter((span) => span.attributes['db.system'] === 'redis' || span.attributes['db.system.name'] === 'redis');
    expect(commands.length).toBeGreaterThanOrEqual(1);
    for (const span of commands) expect(String(span.attributes['db.statement'] ?? span.attributes['db.query.text'] ?? '')).toMatch(/^[a-z]+$/i);
  });

  it('exports no password, token, session id or query string', () => {
    expect(receiver.rawBodies.length).toBeGreaterThan(0);
    const everything = receiver.rawBodies.join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const span of receiver.spans) {
      for (const [key, value] of Object.entries(span.attributes)) {
        expect(key).not.toMatch(/authorization|cookie|url\.query/i);
        if (key.startsWith('url.') || key.startsWith('http.')) expect(String(value)).not.toContain('?');
      }
    }
  });

  it('exits promptly on SIGTERM when the collector is unreachable', { timeout: 60_000 }, async () => {
    const unreachable = spawnService(
      { ...database.env, ...CHEAP_ARGON2, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` },
      await freePort(),
    );
    try {
      await waitReady(unreachable, 40_000);
      expect((await http(`${unreachable.url}/.well-known/jwks.json`)).status).toBe(200);
      const stopped = Date.now();
      expect(await stopService(unreachable)).toBe(0);
      // OTLP's own export timeout (10 s) held the exit that long; ours is 2 s, plus a loaded machine's slack.
      expect(Date.now() - stopped).toBeLessThan(9000);
    } finally {
      await stopService(unreachable);
    }
  });

  it("writes the request's trace id into its log lines", () => {
    const lines = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string; req?: { url?: string } });
    const completed = lines.find((line) => line.msg === 'request completed' && line.req?.url === '/v1/auth/login');
    expect(completed?.trace_id).toBe(loginTrace);
    expect(completed?.span_id).toBe(serverSpan('/v1/auth/login').spanId);
  });
});
