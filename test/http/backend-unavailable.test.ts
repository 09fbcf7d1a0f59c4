import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/store/prisma/generated/client.js';
import { isBackendUnavailable, toAppError } from '../../src/http/errors/to-app-error.js';
import { toOAuthError, toProblem } from '../../src/http/errors/serialize.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const prismaKnown = (code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError('Invalid `prisma.x()` invocation', { code, clientVersion: '7', ...(meta ? { meta } : {}) });

describe('database and Redis outages become 503, everything else stays what it was', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a socket timeout', withCode('ETIMEDOUT')],
    ['an unresolvable host', withCode('ENOTFOUND')],
    ['SQLSTATE 08006 (connection failure)', withCode('08006')],
    ['SQLSTATE 57P01 (admin shutdown, e.g. a failover)', withCode('57P01')],
    ['SQLSTATE 53300 (too many connections)', withCode('53300')],
    ['Prisma P1001 (unreachable)', prismaKnown('P1001')],
    ['Prisma P1017 (connection closed)', prismaKnown('P1017')],
    ['Prisma P2024 (pool timeout)', prismaKnown('P2024')],
    ['Prisma P2010 carrying a driver adapter DatabaseNotReachable', prismaKnown('P2010', { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } })],
    ['a driver adapter ConnectionClosed', Object.assign(new Error('ConnectionClosed'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } })],
    ["pg's code-less 'Connection terminated unexpectedly'", new Error('Connection terminated unexpectedly')],
    ["pg's query_timeout", new Error('Query read timeout')],
    ["pg.Pool's connection timeout", new Error('timeout exceeded when trying to connect')],
    ["ioredis giving up while disconnected", Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })],
    ['an outage wrapped as the cause of another error', new Error('saving the session failed', { cause: withCode('ECONNREFUSED') })],
  ])('%s', (_name, error) => {
    expect(isBackendUnavailable(error)).toBe(true);
    const mapped = toAppError(error, false);
    expect(mapped.status).toBe(503);
    expect(mapped.headers).toEqual({ 'retry-after': '1' });
    expect(toProblem(mapped, '/v1/me')).toMatchObject({ type: 'urn:identity-service:problem:unavailable', status: 503 });
    expect(toOAuthError(toAppError(error, true))).toMatchObject({ error: 'temporarily_unavailable' });
    // Nothing of the driver's message reaches the client.
    expect(JSON.stringify(toProblem(mapped, '/v1/me'))).not.toMatch(/ECONN|Connection|timeout|prisma|5432/i);
  });

  it.each([
    ['a unique violation', prismaKnown('P2002')],
    ['SQLSTATE 23505', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error in a query', withCode('42601')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    // A message is only read where the library gives no code at all.
    ['a coded error that merely says "Connection terminated"', withCode('XX000', 'Connection terminated by a trigger')],
    ['Prisma P2010 for an ordinary failed query', prismaKnown('P2010', { driverAdapterError: { cause: { kind: 'postgres', code: '42P01' } } })],
  ])('%s stays a 500', (_name, error) => {
    expect(isBackendUnavailable(error)).toBe(false);
    expect(toAppError(error, false).status).toBe(500);
  });
});
