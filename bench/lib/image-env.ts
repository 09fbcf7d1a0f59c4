import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';

/** The runtime settings the bench takes from the image, so it measures the service as it ships. */
const FROM_IMAGE = ['MALLOC_ARENA_MAX', 'MALLOC_TOP_PAD_', 'NODE_OPTIONS'] as const;

/**
 * Those variables as the Dockerfile's last stage sets them with ENV
 * (`KEY=value` pairs, continuation lines joined).
 */
export function imageRuntimeEnv(): Record<string, string> {
  const text = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.split(/\r?\n/)) {
    if (!/^ENV\s/.test(line)) continue;
    for (const [, name, value] of line.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if ((FROM_IMAGE as readonly string[]).includes(name!)) env[name!] = value!.replace(/^"|"$/g, '');
    }
  }
  return env;
}
