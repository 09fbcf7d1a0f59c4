import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (scripts/ci-setup.sh installs it); browser suites skip, saying why, where it is missing. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

export const skipWithoutChromium = (suite: string): boolean => {
  if (!chromiumAvailable) console.log(`${CHROMIUM} is missing (Debian package chromium; scripts/ci-setup.sh installs it): ${suite} is skipped`);
  return !chromiumAvailable;
};

/** Headless Chromium as root in a container: no sandbox, no GPU, nothing that phones home. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
