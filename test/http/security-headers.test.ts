import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaderSet } from '../../src/http/security-headers.js';
import { embeddedTarget } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';

// The headers do not depend on the database, so one target is enough.
describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget);
  });
  afterAll(() => t.close());

  const API_HEADERS = {
    'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-site',
  };

  // How a browser treats a document; an API answer is never rendered as one.
  const DOCUMENT_HEADERS = [
    'cross-origin-opener-policy',
    'origin-agent-cluster',
    'x-dns-prefetch-control',
    'x-download-options',
    'x-permitted-cross-domain-policies',
    'x-xss-protection',
  ];

  it('sets helmet\'s API headers on every kind of answer: a route, a 404, an OAuth error (no client: 401), a probe', async () => {
    const answers = await Promise.all([
      t.app.inject('/.well-known/jwks.json'),
      t.app.inject('/no/such/route'),
      t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password' }),
      t.app.inject('/healthz'),
    ]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 404, 401, 200]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject(API_HEADERS);
      for (const name of DOCUMENT_HEADERS) expect(answer.headers).not.toHaveProperty(name);
    }
  });

  it('gives the login page helmet\'s document headers, its own CSP and referrer policy, and the rest as on the API', async () => {
    const page = await t.app.inject('/login');
    for (const name of DOCUMENT_HEADERS) expect(page.headers).toHaveProperty(name);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none';style-src 'sha256-[A-Za-z0-9+/=]+';script-src 'self';connect-src 'self';form-action 'self';/);
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // The override belongs to the page's routes only.
    expect((await t.app.inject('/healthz')).headers['referrer-policy']).toBe('no-referrer');
  });

  it('computes a set exactly as helmet would set it, and refuses options helmet refuses', () => {
    expect(securityHeaderSet({ strictTransportSecurity: { maxAge: 60 } })['strict-transport-security']).toBe('max-age=60; includeSubDomains');
    expect(securityHeaderSet({ strictTransportSecurity: false })).not.toHaveProperty('strict-transport-security');
    expect(() => securityHeaderSet({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } })).toThrow();
  });
});
