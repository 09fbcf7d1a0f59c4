import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { embeddedTarget } from './databases.js';
import { freePort } from './process.js';

/** Debian's chromium (never a downloaded one): browser suites skip, saying why, when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable) console.log(`${CHROMIUM} is missing (Debian package chromium; scripts/ci-setup.sh installs it): the browser tests are skipped`);

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/**
 * The app listening on a free port of its own embedded database; the issuer is the origin the browser sees, as in production.
 * `localhost` for WebAuthn, whose RP ID must be a domain (http://localhost is a secure context too).
 */
export async function listeningApp(host: '127.0.0.1' | 'localhost' = '127.0.0.1'): Promise<{ app: FastifyInstance; base: string; close(): Promise<void> }> {
  const database = await embeddedTarget.create();
  const port = await freePort();
  const base = `http://${host}:${port}`;
  const app = await buildApp(loadConfig({ ...database.env, LOG_LEVEL: 'silent', PORT: String(port), ISSUER: base }));
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    base,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
