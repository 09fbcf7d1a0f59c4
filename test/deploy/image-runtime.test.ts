import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { TEST_DATABASE_URL, postgresTarget } from '../support/databases.js';
import { PROJECT_ROOT, freePort, type ServiceProcess } from '../support/process.js';
import { clientCredentialsToken, exitWithin, http, introspect, jwksKids, killAll, runCommand, waitReady } from '../support/deploy.js';
import { assembleRuntimeStage, cmd, copies, dockerfile, imageEnv, jsonArray, npmCi, user } from '../support/image-runtime.js';

/**
 * No Docker engine here, so this suite rebuilds the image's runtime stage by
 * hand from the Dockerfile itself (its COPY, RUN npm ci, ENV, USER and CMD
 * lines, parsed: when they change, so does what is tested) in a temporary
 * directory, then runs it as the Helm chart does: the migration Job's command
 * first, then the server, as the image's non-root user with nothing writable
 * but /tmp.
 */

// Helm's migration Job runs this command in the same image.
const migrationJob = readFileSync(path.join(PROJECT_ROOT, 'helm/identity-service/templates/migration-job.yaml'), 'utf8');
const migrateCommand = jsonArray(/command:\s*(\[.*\])/.exec(migrationJob)?.[1] ?? '[]');

describe('the Dockerfile, as the runtime test reads it', () => {
  it('has a runtime stage built from production dependencies, compiled output and migrations only', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(npmCi).toMatch(/--omit=dev\b/);
    const copied = copies.flatMap((copy) => copy.sources.map((source) => path.normalize(source)));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'dist', path.normalize('prisma/migrations')]));
    // No demo clients (known secrets) and no sources, tests or tooling in the image.
    for (const source of copied) expect(source).not.toMatch(/^(config|src|test|helm|scripts|\.)(\/|$)/);
  });

  it('leaves out no optional package that a runtime dependency needs', () => {
    // The image installs with --omit=optional (see the Dockerfile): an optional package of the production tree is
    // missing there. Each one must be known to be unused at run time; a new one fails here, naming it.
    const notNeededAtRunTime = ['node_modules/pg-cloudflare'];
    const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optional?: boolean; dev?: boolean }> };
    const optionalAtRunTime = Object.entries(lock.packages).filter(([name, entry]) => name && entry.optional && !entry.dev).map(([name]) => name);
    expect(optionalAtRunTime.sort()).toEqual(notNeededAtRunTime);
    expect(npmCi).toMatch(/--omit=optional\b/);
  });

  it('runs as a numeric non-root user, in production mode, listening on every interface', () => {
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(imageEnv).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    // Exec form: node is PID 1 and receives SIGTERM itself.
    expect(cmd).toEqual(['node', 'dist/server.mjs']);
    expect(migrateCommand).toEqual(['node', 'dist/src/cli/migrate.js']);
  });
});

if (!TEST_DATABASE_URL) console.log('skipping the image runtime test: it needs PostgreSQL at TEST_DATABASE_URL');

describe.skipIf(!TEST_DATABASE_URL)('the image runtime, rebuilt from the Dockerfile in a temporary directory', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'idsvc-image-'));
  const app = path.join(root, 'app');
  const dataDir = path.join(root, 'data');
  const secretsDir = path.join(root, 'secrets');
  let database: Awaited<ReturnType<typeof postgresTarget.create>>;
  let service: ServiceProcess | undefined;
  // The image's user when we can become it (root, as in CI); else ourselves, and the file snapshot below still holds.
  const [uid, gid] = user.split(':').map(Number);
  const asImageUser = process.getuid?.() === 0 && uid !== undefined ? { uid, gid: gid ?? uid } : {};

  /** What the container would see: the image's ENV, then what the chart sets. */
  let env: Record<string, string>;
  const run = (argv: string[], extraEnv: Record<string, string> = {}) =>
    runCommand(process.execPath, argv.slice(1), { cwd: app, env: { ...env, ...extraEnv }, ...asImageUser, timeoutMs: 30_000 });

  beforeAll(async () => {
    await assembleRuntimeStage(app);

    // The chart mounts the clients file from a Secret; the image has none of its own.
    mkdirSync(secretsDir);
    cpSync(path.join(PROJECT_ROOT, 'config/clients.demo.json'), path.join(secretsDir, 'clients.json'));
    mkdirSync(dataDir);
    for (const dir of [root, app, dataDir, secretsDir]) chmodSync(dir, 0o755);

    database = await postgresTarget.create();
    env = {
      PATH: process.env.PATH ?? '',
      // Docker's HOME for a user without a passwd entry.
      HOME: '/',
      ...imageEnv,
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.env.DATABASE_URL!,
      LOG_LEVEL: 'info',
    };
  }, 240_000);

  afterAll(async () => {
    await killAll([service]);
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Every file under the app directory with its size and mtime: the root filesystem must stay as built. */
  const snapshot = () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else {
          const stat = statSync(full);
          files.push(`${path.relative(app, full)} ${stat.size} ${stat.mtimeMs}`);
        }
      }
    };
    walk(app);
    return files.sort();
  };

  it('has no development dependencies installed, and its native module and compiled Prisma client load', async () => {
    const installed = readdirSync(path.join(app, 'node_modules'));
    for (const devOnly of ['vitest', 'tsx', '@redocly', 'autocannon', 'prisma', 'typescript', 'esbuild', 'playwright-core']) expect(installed).not.toContain(devOnly);
    expect(existsSync(path.join(app, 'src'))).toBe(false);
    // The native module and the generated client, loaded as the image's user would (a crash here is a crash at start).
    const load = await run([
      'node',
      '-e',
      "Promise.all([import('argon2').then((a) => a.hash('x')), import('./dist/src/store/prisma/generated/client.js')]).then(() => console.log('native and generated modules load'))",
    ]);
    expect(load.output).toContain('native and generated modules load');
    expect(load.code).toBe(0);
  });

  it("migrates a fresh PostgreSQL database with the Helm Job's command, and again as a no-op", async () => {
    // The Job gets nothing but the database URL and the log level.
    const first = await run(migrateCommand);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/^Applied \S+/m);
    const second = await run(migrateCommand);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('Database schema is up to date');
  });

  it('refuses to start without a clients file, since the image ships no demo clients', async () => {
    const attempt = await run(cmd, { PORT: String(await freePort()), KEY_ENCRYPTION_KEY: database.env.KEY_ENCRYPTION_KEY! });
    expect(attempt.code).toBe(1);
    expect(attempt.output).toMatch(/^CLIENTS_FILE \S+ cannot be read \(ENOENT\)\n$/);
  });

  it('serves with the chart environment: ready, issues and verifies tokens, writes nothing outside /tmp, exits 0 on SIGTERM', async () => {
    const before = snapshot();
    const port = await freePort();
    const child = spawn(process.execPath, cmd.slice(1), {
      cwd: app,
      env: { ...env, PORT: String(port), KEY_ENCRYPTION_KEY: database.env.KEY_ENCRYPTION_KEY!, CLIENTS_FILE: path.join(secretsDir, 'clients.json'), SHUTDOWN_DELAY_MS: '200' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asImageUser,
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    service = { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };

    await waitReady(service);
    expect(output).not.toContain('database schema is behind');
    const token = await clientCredentialsToken(service.url);
    expect(await jwksKids(service.url)).toContain(decodeProtectedHeader(token).kid);
    const checked = await introspect(service.url, token);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ active: true, client_id: 'orders' });
    expect((await http(`${service.url}/metrics`)).text).toContain('oauth_tokens_issued_total');

    child.kill('SIGTERM');
    expect(await exitWithin(service, 10_000)).toBe(0);
    expect(output).toContain('shut down cleanly');
    // Read-only root filesystem: the app directory is as installed, and DATA_DIR (no volume in the chart) stays empty.
    expect(snapshot()).toEqual(before);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
