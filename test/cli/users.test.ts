import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/app.js';
import type { FastifyInstance } from 'fastify';
import { embeddedTarget } from '../support/databases.js';
import { PROJECT_ROOT } from '../support/process.js';
import { Browser, PASSWORD, uniqueEmail } from '../support/accounts.js';

const CLI = path.join(PROJECT_ROOT, 'dist/src/cli/users.js');

/** Runs the built command as `npm run users --` does, with the password on stdin. */
function users(env: Record<string, string>, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// Each run opens (and on first use creates) the embedded database in its own process: slow on a loaded machine.
describe('npm run users -- create', { timeout: 90_000 }, () => {
  let database: Awaited<ReturnType<typeof embeddedTarget.create>>;
  beforeAll(async () => {
    database = await embeddedTarget.create();
  });
  afterAll(() => database.drop());

  it('prints its usage and exits 2 without --password-stdin', async () => {
    const result = await users(database.env, ['create', '--email', 'ops@example.test'], PASSWORD);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: npm run users -- create');
  });

  it('refuses a weak password with the policy message, exit 1', async () => {
    const result = await users(database.env, ['create', '--admin', '--email', uniqueEmail(), '--password-stdin'], 'short\n');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('password must be at least 12 characters.');
  });

  it('creates an admin who can sign in and use the admin routes; never echoes the password', async () => {
    const email = uniqueEmail('ops');
    const created = await users(database.env, ['create', '--admin', '--email', email, '--password-stdin'], `${PASSWORD}\n`);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(new RegExp(`^Created [0-9a-f-]{36} ${email.replace('.', '\\.')} \\(user, admin\\)\\n$`));
    expect(created.stdout + created.stderr).not.toContain(PASSWORD);

    const again = await users(database.env, ['create', '--email', email.toLowerCase(), '--password-stdin'], PASSWORD);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot be used to register');

    const app: FastifyInstance = await buildApp(loadConfig({ LOG_LEVEL: 'silent', ...database.env }));
    try {
      const browser = new Browser(app);
      const session = await browser.signIn(email);
      expect(session.user.roles).toEqual(['user', 'admin']);
      const response = await browser.request({
        method: 'POST',
        url: `/v1/admin/users/${session.user.id}/logout`,
        headers: { 'x-csrf-token': session.csrf_token },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
