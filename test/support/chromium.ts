import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from './app.js';
import { embeddedTarget } from './databases.js';
import { freePort } from './process.js';

/** Debian's chromium (scripts/ci-setup.sh installs it); never a browser downloaded by Playwright. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run; when not, says why (a skipped test prints its reason). */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM);
  if (!available) console.log(`${CHROMIUM} is missing (Debian package chromium; scripts/ci-setup.sh installs it): ${suite} is skipped`);
  return available;
}

/** Headless Chromium as the browser suites run it: no sandbox (containers), nothing that phones home. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/**
 * The test app listening on a free port, its issuer the origin the browser sees (as in production).
 * `localhost` for WebAuthn, whose RP ID must be a domain (http://localhost is a secure context too).
 */
export async function startListeningApp(env: Record<string, string> = {}, host: '127.0.0.1' | 'localhost' = '127.0.0.1'): Promise<{ t: TestApp; base: string }> {
  const port = await freePort();
  const base = `http://${host}:${port}`;
  const t = await startTestApp(embeddedTarget, { env: { LOG_LEVEL: 'silent', PORT: String(port), ISSUER: base, ...env } });
  await t.app.listen({ port, host: '127.0.0.1' });
  return { t, base };
}
