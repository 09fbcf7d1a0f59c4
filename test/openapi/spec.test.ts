import { execFileSync } from 'node:child_process';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTarget } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { specRoutes } from '../support/openapi.js';

const key = (route: { method: string; url: string }) => `${route.method} ${route.url}`;

describe('openapi.yaml', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(embeddedTarget);
  });
  afterAll(() => t.close());

  it('documents every registered route', () => {
    const documented = new Set(specRoutes().map(key));
    const missing = t.app.registeredRoutes.map(key).filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
  });

  it('lists no route that does not exist', () => {
    const registered = new Set(t.app.registeredRoutes.map(key));
    const phantom = specRoutes().map(key).filter((route) => !registered.has(route));
    expect(phantom).toEqual([]);
  });

  it('declares only valid JSON Schema on its routes (the service skips this check at start)', () => {
    const ajv = new Ajv({ strict: false });
    const invalid: string[] = [];
    for (const { method, url, schema } of t.app.registeredRoutes) {
      const { body, querystring, params, headers, response } = (schema ?? {}) as Record<string, object | undefined>;
      const responses = Object.entries(response ?? {}).map(([code, part]) => [`response ${code}`, part]);
      const parts = Object.fromEntries([...Object.entries({ body, querystring, params, headers }), ...responses].filter(([, part]) => part !== undefined));
      for (const [part, value] of Object.entries(parts)) {
        if (!ajv.validateSchema(value as object)) invalid.push(`${method} ${url} ${part}: ${ajv.errorsText()}`);
      }
    }
    expect(t.app.registeredRoutes.filter((route) => route.schema).length).toBeGreaterThan(10);
    expect(invalid).toEqual([]);
  });

  it('lints clean with Redocly', () => {
    const output = execFileSync('npx', ['--no-install', 'redocly', 'lint', '--format', 'summary', 'openapi.yaml'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The summary format prints one line per kind of problem and nothing when clean.
    expect(output.trim()).toBe('');
  }, 60_000);
});
