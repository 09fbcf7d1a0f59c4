import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { embeddedTarget } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';

// Error mapping does not depend on the database, so one target is enough.
describe('error mapping', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget, {
      env: { BODY_LIMIT_BYTES: '2048' },
      extend(app) {
        app.post(
          '/__probe',
          { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 10 } } } } },
          async () => ({ ok: true }),
        );
        app.post('/__probe/oauth', { config: { errorFormat: 'oauth' } }, async () => {
          throw new AppError('invalid_grant', 'The refresh token is invalid.');
        });
        app.get('/__probe/crash', async () => {
          throw new Error('database password=hunter2 exploded at /srv/app.js:12');
        });
      },
    });
  });
  afterAll(() => t.close());

  const problemOf = (response: { headers: Record<string, unknown>; json(): unknown }) => {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    return response.json() as Record<string, unknown>;
  };

  it('answers malformed JSON with 400', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/__probe', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response)).toMatchObject({ type: 'urn:identity-service:problem:bad_request', status: 400 });
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/__probe', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(response.statusCode).toBe(415);
    expect(problemOf(response)).toMatchObject({ type: 'urn:identity-service:problem:unsupported_media_type' });
  });

  it('answers a body over the limit with 413', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/__probe',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(4096) }),
    });
    expect(response.statusCode).toBe(413);
    expect(problemOf(response)).toMatchObject({ type: 'urn:identity-service:problem:payload_too_large' });
  });

  it('answers a schema violation with 400 validation_failed', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/__probe', payload: { name: 'far too long a name' } });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response)).toMatchObject({ type: 'urn:identity-service:problem:validation_failed' });
  });

  it('masks unexpected errors as 500 without internals, and logs them in full', async () => {
    const response = await t.app.inject('/__probe/crash');
    expect(response.statusCode).toBe(500);
    expect(problemOf(response)).toEqual({
      type: 'urn:identity-service:problem:internal',
      title: 'Internal server error',
      status: 500,
      instance: '/__probe/crash',
    });
    expect(response.body).not.toMatch(/hunter2|exploded|\.js/);
    expect(t.logs.some((line) => line.level === 50 && JSON.stringify(line.err).includes('exploded'))).toBe(true);
  });

  it('answers RFC 6749 errors on OAuth routes, never cached', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/__probe/oauth' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: 'invalid_grant', error_description: 'The refresh token is invalid.' });
  });
});
