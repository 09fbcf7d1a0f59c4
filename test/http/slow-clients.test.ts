import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, uniqueEmail } from '../support/accounts.js';

const sockets = new Set<net.Socket>();

/** A raw connection that sends its bytes on our schedule and records what comes back and when it closes. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  sockets.add(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    socket,
    closed,
    received: () => received,
    isOpen: () => !socket.destroyed,
  };
}

/** Writes `chunks` one every `everyMs`, stopping early when the server hangs up. */
async function trickle(connection: Awaited<ReturnType<typeof rawConnection>>, chunks: readonly string[], everyMs: number) {
  for (const chunk of chunks) {
    if (!connection.isOpen()) return;
    connection.socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

// The limits are small here so the suite takes seconds; the defaults and their reasons are in src/config/schema.ts.
// Timeouts are the HTTP server's, not the store's: the embedded database suffices.
describe('HTTP timeouts against slow clients', () => {
  const REQUEST_TIMEOUT_MS = 3000;
  const HEADERS_TIMEOUT_MS = 1000;
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget, {
      env: { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    // Without the timeouts a trickling connection would outlive its test and hold up the server's close.
    for (const socket of sockets) socket.destroy();
    expect(t.specViolations).toEqual([]);
    await t.close();
  });

  it('cuts off a body sent one byte at a time, with a 408 problem', { timeout: 15_000 }, async () => {
    const connection = await rawConnection(port);
    const head = `POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const started = Date.now();
    // 1000 bytes at one per 100 ms would take 100 s; the server must hang up long before.
    void trickle(connection, [head, ...'{'.padEnd(1000, ' ')], 100);
    await connection.closed;
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    expect(statusOf(connection.received())).toBe(408);
    expect(connection.received()).toContain('Content-Type: application/problem+json');
    expect(connection.received()).toContain('"type":"urn:identity-service:problem:request_timeout"');
  });

  it('cuts off headers sent one byte at a time', { timeout: 15_000 }, async () => {
    const connection = await rawConnection(port);
    void trickle(connection, [...'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '.padEnd(400, 'x')], 100);
    await connection.closed;
    expect(statusOf(connection.received())).toBe(408);
  });

  it('answers bytes that are not HTTP with a 400 problem, not Fastify\u2019s own JSON', async () => {
    const connection = await rawConnection(port);
    connection.socket.write('NOT HTTP AT ALL\r\n\r\n');
    await connection.closed;
    expect(statusOf(connection.received())).toBe(400);
    expect(connection.received()).toContain('"type":"urn:identity-service:problem:bad_request"');
  });

  it('lets a client send 60 KB at a steady modest rate within the limit, and keeps the connection alive', { timeout: 15_000 }, async () => {
    // JSON allows whitespace: 60 KB of it makes a large but legitimate sign-up body.
    const body = `{"email":"${uniqueEmail('slow')}","password":"${PASSWORD}"${' '.repeat(60 * 1024)}}`;
    const connection = await rawConnection(port);
    const head = `POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    // 4 KB every 100 ms: about 1.5 s, half the limit, at 40 KB/s.
    const chunks = body.match(/[\s\S]{1,4096}/g) ?? [];
    await trickle(connection, [head, ...chunks], 100);
    await expect.poll(() => statusOf(connection.received()), { timeout: REQUEST_TIMEOUT_MS }).toBe(201);
    expect(connection.received()).toMatch(/\r\nKeep-Alive: timeout=5\r\n/i);
    expect(connection.isOpen()).toBe(true);
    connection.socket.destroy();
  });
});
