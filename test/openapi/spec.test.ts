import { execFileSync } from 'node:child_process';
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

  it('lints clean with Redocly', () => {
    const output = execFileSync('npx', ['--no-install', 'redocly', 'lint', '--format', 'summary', 'openapi.yaml'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The summary format prints one line per kind of problem and nothing when clean.
    expect(output.trim()).toBe('');
  }, 60_000);
});
