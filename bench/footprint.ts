/**
 * `npm run bench:footprint`: what the image ships and how fast it starts.
 * Rebuilds the Dockerfile's runtime stage in a temporary directory, as
 * test/deploy/image-runtime.test.ts does (no Docker engine here), prints the
 * size of that layer, then times cold starts of `node dist/server.mjs` run
 * from it: process start to the first 200 from /readyz, on the embedded
 * database and on PostgreSQL (when reachable). Needs `npm run build` first.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assembleRuntimeStage, cmd, imageEnv } from '../test/support/image-runtime.js';
import { freePort } from '../test/support/process.js';
import { cleanup, installSignalHandlers, onCleanup, spawnTracked, stopChild } from './lib/children.js';
import { PROJECT_ROOT } from './lib/paths.js';
import { createDatabase, dropDatabase, migrate, postgresReachable } from './lib/postgres.js';

const smoke = process.argv.includes('--smoke');
const RESTARTS = smoke ? 1 : 5;
const log = (line: string) => process.stdout.write(`${line}\n`);
const du = (dir: string) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Milliseconds from spawning the image's command in `app` to the first 200 from /readyz; then stops it. */
async function coldStart(app: string, env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnTracked(process.execPath, cmd.slice(1), { cwd: app, env: { ...env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.ok, () => false);
      if (ready) return performance.now() - started;
      if (performance.now() - started > 60_000) throw new Error('not ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await stopChild(child);
  }
}

async function startsOn(name: string, app: string, env: Record<string, string>): Promise<string[]> {
  const first = await coldStart(app, env);
  const restarts: number[] = [];
  for (let round = 0; round < RESTARTS; round += 1) restarts.push(await coldStart(app, env));
  return [name, `${Math.round(first)}`, `${Math.round(median(restarts))}`, `${Math.round(Math.min(...restarts))}–${Math.round(Math.max(...restarts))}`];
}

async function main(): Promise<void> {
  if (!existsSync(path.join(PROJECT_ROOT, 'dist/server.mjs'))) throw new Error('dist/ is missing: run npm run build first');
  installSignalHandlers();
  const root = mkdtempSync(path.join(os.tmpdir(), 'idsvc-footprint-'));
  onCleanup(async () => rmSync(root, { recursive: true, force: true }));
  const app = path.join(root, 'app');
  log('rebuilding the Dockerfile runtime stage (npm ci of the production dependencies)…');
  await assembleRuntimeStage(app);
  log(`runtime layer (${app}): ${du(app).toFixed(0)} MB, of which node_modules ${du(path.join(app, 'node_modules')).toFixed(0)} MB and dist ${du(path.join(app, 'dist')).toFixed(1)} MB`);

  const clientsFile = path.join(root, 'clients.json');
  copyFileSync(path.join(PROJECT_ROOT, 'config/clients.demo.json'), clientsFile);
  const base = { PATH: process.env.PATH ?? '', HOME: root, ...imageEnv, HOST: '127.0.0.1', CLIENTS_FILE: clientsFile, LOG_LEVEL: 'warn' };
  const rows = [await startsOn('embedded (DATA_DIR on local disk)', app, { ...base, DATA_DIR: path.join(root, 'data') })];
  if (await postgresReachable()) {
    const name = `idsvc_footprint_${Date.now()}`;
    onCleanup(() => dropDatabase(name));
    const url = await createDatabase(name);
    await migrate(url);
    rows.push(await startsOn('PostgreSQL (migrated)', app, { ...base, DATABASE_URL: url, KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }));
  } else log('PostgreSQL is not reachable: embedded only');

  log(`\ncold start, process start to /readyz 200, ms (${RESTARTS} restarts after the first start, which also creates the database or signing key):`);
  log('| database | first start | restart, median | restarts, range |');
  log('| --- | ---: | ---: | ---: |');
  for (const row of rows) log(`| ${row.join(' | ')} |`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
